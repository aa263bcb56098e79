"""Users of one customer: match by email, diff, block a full administrator's package change,
prune; and the location deletes that wait for the users leaving them."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.model import CALLING_USER_PACKAGES, FULL_ADMIN_ROLE, Customer, Location, User
from reconciler.plan import Change, FieldDiff, address_of
from reconciler.planner.builder import Builder, cust_addr, diff


def _user_fields(user: User) -> tuple[FieldDiff, ...]:
    fields = (
        FieldDiff("firstName", None, user.first_name),
        FieldDiff("lastName", None, user.last_name),
        FieldDiff("package", None, user.package),
        FieldDiff("location", None, user.location),
        FieldDiff("phoneNumber", None, user.phone_number),
        FieldDiff("extension", None, user.extension),
        FieldDiff("roles", None, list(user.roles) or None),
    )
    return tuple(f for f in fields if f.after is not None)


def plan_users(
    b: Builder,
    cust: Customer,
    desired: Mapping[str, User],
    live: Mapping[str, User],
    live_locations: Mapping[str, Location],
) -> None:
    ext = cust.external_id
    b.managed["user"] += len(live)
    renames = b.renamed.get(ext, {})
    claimed: set[str] = set()

    # Every change under a customer waits for that customer's create or update: the users'
    # packages (and a headquarters it carries) exist only once Partner Hub has finished it.
    cust_change = b.changes.get(cust_addr(ext))
    cust_dep: tuple[str, ...] = (cust_change.address,) if cust_change is not None else ()

    def location_deps(name: str | None) -> tuple[str, ...]:
        if name is None:
            return ()
        if b.carried_hq.get(ext) == name and cust_change is not None:
            return (cust_change.address,)
        addr = address_of("location", ext, name)
        return (addr,) if addr in b.changes else ()

    for email, user in sorted(desired.items()):
        addr = address_of("user", ext, email)
        match = live.get(email)
        if user.state == "absent":
            if match is not None:
                claimed.add(email)
                b.add(
                    Change(
                        "delete", "user", ext, email, depends_on=cust_dep, notes=("state: absent",)
                    )
                )
            continue
        if match is None:
            deps = tuple(sorted(set(cust_dep + location_deps(user.location))))
            b.add(Change("create", "user", ext, email, fields=_user_fields(user), depends_on=deps))
            continue
        claimed.add(email)
        status = match.live.status if match.live is not None else None
        if status == "pending_user_migration":
            b.warn(
                addr,
                "user is pending_user_migration (waiting for consent to move an existing "
                "account): no update is issued until it is provisioned",
            )
            continue
        live_location = renames.get(match.location or "", match.location)
        diffs = [
            diff("firstName", user.first_name, match.first_name),
            diff("lastName", user.last_name, match.last_name),
            diff("package", user.package, match.package),
            diff("location", user.location, live_location),
            diff("phoneNumber", user.phone_number, match.phone_number),
            diff("extension", user.extension, match.extension),
            diff("roles", list(user.roles), list(match.roles)),
        ]
        fields = tuple(d for d in diffs if d is not None)
        if not fields:
            continue
        notes: list[str] = []
        if any(f.field == "package" for f in fields):
            if FULL_ADMIN_ROLE in match.roles or FULL_ADMIN_ROLE in user.roles:
                b.block(
                    addr,
                    f"package change for a {FULL_ADMIN_ROLE} ({match.package} -> "
                    f"{user.package}): Partner Hub does not support changing the package of "
                    "a customer's full administrator",
                )
            if match.package not in CALLING_USER_PACKAGES and user.package in CALLING_USER_PACKAGES:
                params = [
                    f"location {user.location!r}" if user.location else None,
                    f"phoneNumber {user.phone_number}" if user.phone_number else None,
                    f"extension {user.extension}" if user.extension else None,
                ]
                notes.append(
                    "adds calling: provisioningParameters sent with the package change: "
                    + (", ".join(p for p in params if p) or "none declared")
                )
        moved = any(f.field == "location" for f in fields)
        deps = tuple(sorted(set(cust_dep + (location_deps(user.location) if moved else ()))))
        b.add(
            Change("update", "user", ext, email, fields=fields, depends_on=deps, notes=tuple(notes))
        )

    for email in sorted(set(live) - claimed):
        b.prune_or_list("user", ext, email, cust_dep)

    # A location delete waits for the users that leave it (deleted or moved elsewhere).
    for name in live_locations:
        loc_addr = address_of("location", ext, name)
        change = b.changes.get(loc_addr)
        if change is None or change.action != "delete":
            continue
        leaving = sorted(
            address_of("user", ext, email)
            for email, u in live.items()
            if u.location == name and address_of("user", ext, email) in b.changes
        )
        if leaving:
            b.add(
                Change(
                    "delete",
                    "location",
                    ext,
                    name,
                    notes=change.notes,
                    depends_on=tuple(sorted(set(change.depends_on).union(leaving))),
                )
            )
