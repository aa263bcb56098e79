"""Users of one customer: match by email, diff, block a full administrator's package change,
prune."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from reconciler.model import CALLING_USER_PACKAGES, FULL_ADMIN_ROLE, Customer, User, leaves_calling
from reconciler.plan import Change, FieldDiff, Notice, UserFacts, address_of
from reconciler.planner.calling import where
from reconciler.planner.common import Findings, created, diff, merged, prune_or_list
from reconciler.planner.extensions import check_extensions

MOVE_NOTE = (
    "moves with the move-users job (Webex refuses a People PUT of a calling user's location)"
)


def plan_users(
    cust: Customer,
    desired: Mapping[str, User],
    live: Mapping[str, User],
    *,
    renames: Mapping[str, str],
    prune: bool,
    calling_at: frozenset[str] = frozenset(),
    held: Mapping[tuple[str, str], str] | None = None,
    role_names: frozenset[str] | None = None,
) -> Findings:
    """``renames``: the customer's renamed locations (live name → desired name), so a user
    that stays in a renamed location is no change; ``calling_at``: the live calling
    locations (a calling user leaves one through the move-users job); ``held``: (live
    location, extension) → the person without a subscription who holds it (see
    :mod:`reconciler.planner.extensions`); ``role_names``: the roles ``GET /roles`` lists
    (None: not read, not checked)."""
    ext = cust.external_id
    admin = (cust.admin_email or "").lower()
    parts: list[Findings] = []
    for email, user in sorted(desired.items()):
        match = live.get(email)
        if user.state == "absent":
            if match is not None:
                facts = UserFacts(
                    user,
                    leaves_location=match.location,
                    leaves_number=match.phone_number,
                    leaves_extension=match.extension,
                )
                notes = ("state: absent",)
                parts.append(
                    Findings(
                        changes=(Change("delete", "user", ext, email, notes=notes, facts=facts),)
                    )
                )
            continue
        if match is None:
            facts = UserFacts(
                user,
                customer_admin=bool(admin) and admin == email,
                sets_location=user.location,
                sets_number=user.phone_number,
            )
            change = Change("create", "user", ext, email, fields=_user_fields(user), facts=facts)
            parts.append(Findings(changes=(change,)))
            continue
        parts.append(_update(ext, email, user, match, renames, calling_at))
    for email in sorted(set(live) - set(desired)):
        part = prune_or_list("user", ext, email, prune=prune, leaves_location=live[email].location)
        parts.append(_releasing(part, live[email]))
    found = merged(parts)
    checks = (held or {}, renames, prune, role_names)
    return _checked(cust, desired, live, found, *checks)


def _checked(
    cust: Customer,
    desired: Mapping[str, User],
    live: Mapping[str, User],
    found: Findings,
    held: Mapping[tuple[str, str], str],
    renames: Mapping[str, str],
    prune: bool,
    role_names: frozenset[str] | None,
) -> Findings:
    """``found`` with the blocks of unknown roles and of extensions held live (a change that
    takes an extension another change frees waits for it: :mod:`reconciler.planner.order`)."""
    if role_names is not None:
        found = replace(found, blocked=found.blocked + _unknown_roles(found, role_names))
    blocked = check_extensions(
        cust, desired, live, held=held, renames=renames, prune=prune, changes=found.changes
    )
    return replace(found, blocked=found.blocked + blocked) if blocked else found


def _user_fields(user: User) -> tuple[FieldDiff, ...]:
    return created(
        (
            FieldDiff("firstName", None, user.first_name),
            FieldDiff("lastName", None, user.last_name),
            FieldDiff("package", None, user.package),
            FieldDiff("location", None, user.location),
            FieldDiff("phoneNumber", None, user.phone_number),
            FieldDiff("extension", None, user.extension),
            FieldDiff("roles", None, list(user.roles) or None),
        )
    )


def _releasing(part: Findings, match: User) -> Findings:
    """A pruned user's change with the live number and extension it releases (for the
    number's removal, and for a user taking either)."""
    if match.phone_number is None and match.extension is None:
        return part
    changes = tuple(
        replace(
            c,
            facts=replace(
                c.facts, leaves_number=match.phone_number, leaves_extension=match.extension
            ),
        )
        if isinstance(c.facts, UserFacts)
        else c
        for c in part.changes
    )
    return replace(part, changes=changes)


def _update(
    ext: str,
    email: str,
    user: User,
    match: User,
    renames: Mapping[str, str],
    calling_at: frozenset[str],
) -> Findings:
    addr = address_of("user", ext, email)
    status = match.live.status if match.live is not None else None
    if status == "pending_user_migration":
        message = (
            "user is pending_user_migration (waiting for consent to move an existing "
            "account): no update is issued until it is provisioned"
        )
        return Findings(warnings=(Notice(addr, message),))
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
        return Findings()
    changed = {f.field for f in fields}
    adds_calling = (
        "package" in changed
        and match.package not in CALLING_USER_PACKAGES
        and user.package in CALLING_USER_PACKAGES
    )
    notes: list[str] = []
    blocked: list[Notice] = []
    if "package" in changed:
        if FULL_ADMIN_ROLE in match.roles or FULL_ADMIN_ROLE in user.roles:
            blocked.append(
                Notice(
                    addr,
                    f"package change for a {FULL_ADMIN_ROLE} ({match.package} -> "
                    f"{user.package}): Partner Hub does not support changing the package of "
                    "a customer's full administrator",
                )
            )
        if adds_calling:
            notes.append(_adds_calling_note(user))
    facts = _update_facts(user, match, changed, adds_calling, calling_at)
    if facts.moves:
        notes.append(MOVE_NOTE)
    change = Change("update", "user", ext, email, fields=fields, notes=tuple(notes), facts=facts)
    return Findings(changes=(change,), blocked=tuple(blocked))


def _update_facts(
    user: User, match: User, changed: set[str], adds_calling: bool, calling_at: frozenset[str]
) -> UserFacts:
    """An update's facts: a calling user leaving a calling location moves with the job."""
    moves = (
        "location" in changed
        and match.package in CALLING_USER_PACKAGES
        and (match.location or "") in calling_at
    )
    # a user put on a package without calling gives up its number and extension with the licence
    gives_up = leaves_calling(user, match)
    return UserFacts(
        user,
        adds_calling=adds_calling,
        sets_location=user.location if "location" in changed else None,
        leaves_location=match.location,
        sets_number=user.phone_number if "phoneNumber" in changed else None,
        leaves_number=match.phone_number if gives_up or "phoneNumber" in changed else None,
        moves=moves,
        leaves_extension=(
            match.extension if gives_up or changed & {"extension", "location"} else None
        ),
    )


def _adds_calling_note(user: User) -> str:
    params = [
        f"location {user.location!r}" if user.location else None,
        f"phoneNumber {user.phone_number}" if user.phone_number else None,
        f"extension {user.extension}" if user.extension else None,
    ]
    return "adds calling: provisioningParameters sent with the package change: " + (
        ", ".join(p for p in params if p) or "none declared"
    )


def _unknown_roles(found: Findings, known: frozenset[str]) -> tuple[Notice, ...]:
    """A planned user change whose roles are not all ones ``GET /roles`` lists: apply grants
    roles by the IDs that list gives, so it could not send them. The role set is the API's
    (the docs fix no list, and Control Hub spells the names its own way), hence read, not
    validated."""
    by_lower = {name.lower(): name for name in known}
    blocked: list[Notice] = []
    for change in found.changes:
        user = change.facts.user if isinstance(change.facts, UserFacts) else None
        if change.action == "delete" or user is None:
            continue
        for name in (r for r in user.roles if r not in known):
            near = by_lower.get(name.lower())
            hint = f" (did you mean '{near}'?)" if near else ""
            listed = ", ".join(sorted(known)) or "none"
            blocked.append(
                Notice(
                    change.address,
                    f"role '{name}' is not one Webex lists{hint}: GET /roles lists {listed}"
                    f"{where(user)}",
                )
            )
    return tuple(blocked)
