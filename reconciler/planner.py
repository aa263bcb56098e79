"""Compute a Plan from a desired and a live State; pure (no IO, no clock, no randomness).

Contract (SPEC §2, §4):

- Matching is by key: customer ``externalId``; location name within its customer (a desired
  location whose name is not live but one of its ``previously`` names is, is a *rename*: an
  update with a note); user email, case-insensitively (the model keys are lower-cased).
- Only managed fields are diffed: customer packages, address, meetings time zone; location
  name, address, time zone, preferred language; user names, package, location, phone number,
  extension, roles. A desired ``None`` means "not declared" and is not compared; a live ``None``
  for a field the API never returns (the meetings time zone) is "unknown", not a difference.
- Create-only fields (customer name, admin email, language, template; location announcement
  language) that differ from a *known* live value are warnings, never changes.
- A customer created (or updated to add calling) with a calling package carries its
  headquarters location in ``provisioningParameters.calling``: that location is part of the
  customer change (field ``headquarters``), never a second create.
- Ownership: live customers that no YAML names are untouched (listed as unmanaged only in an
  unscoped plan). ``state: absent`` deletes; a delete of something not live is no change.
  Locations and users under a managed customer that no YAML names are deleted when
  ``Settings.prune`` is on, else listed as unmanaged.
- Safety: deletes/updates above ``maxDeletePercent``/``maxUpdatePercent`` of a kind's managed
  live objects (in scope; once the kind has ``MIN_MANAGED_FOR_THRESHOLDS`` of them), creating a
  customer whose template has no provisioningId, and a package change for a user holding the
  Full Administrator role make the plan *blocked* (the changes stay in the plan, so a reviewer
  sees them and ``--force`` can lift the block).
- Live statuses: customers ``provisioning``/``updating``/``deleting`` are waited for (a warning,
  no change for them or anything under them); ``error``/``provisioned_with_errors`` (with their
  error codes) and ``pending_rpl_review`` are warnings; a customer without an org ID yet has its
  locations and users wait. Users in ``pending_user_migration`` are warnings and get no update.
- Order: customers, then locations, then users for creates and updates; deletes after them in
  the reverse order (users, locations, customers); each group sorted by address. Dependencies
  name the addresses of changes in the same plan: locations and users of a customer being
  created depend on its create; a user create or package change depends on a customer update
  that changes the package set; a user depends on a create or update of its location, or
  on the customer change that carries it as headquarters; a location delete depends on the
  changes of the users that leave it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.model import (
    CALLING_CUSTOMER_PACKAGES,
    CALLING_USER_PACKAGES,
    FULL_ADMIN_ROLE,
    Address,
    Customer,
    Location,
    State,
    User,
)
from reconciler.plan import JSON, KINDS, Change, FieldDiff, Kind, Notice, Plan, address_of

#: Customer statuses during which nothing is issued for that customer (wait for the job).
IN_FLIGHT = frozenset({"provisioning", "updating", "deleting"})
#: Customer statuses reported as warnings with their error codes.
FAILED = frozenset({"error", "provisioned_with_errors"})

_T = TypeVar("_T", Location, User)

#: Thresholds apply to a kind once it has this many managed live objects (as octoDNS does):
#: below that, one change in a tiny estate would already exceed any percentage.
MIN_MANAGED_FOR_THRESHOLDS = 10

CHECKLIST_HINT = "see `reconciler templates checklist`"


def address_data(address: Address | None) -> dict[str, str] | None:
    """The plan's (and the YAML's) shape of an address; absent parts are left out."""
    if address is None:
        return None
    data = {
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postalCode": address.postal_code,
        "country": address.country,
    }
    return {k: v for k, v in data.items() if v is not None}


def location_data(location: Location) -> dict[str, JSON]:
    """A location as it is sent (for the headquarters carried by a customer change)."""
    data: dict[str, JSON] = {
        "name": location.name,
        "address": address_data(location.address),
        "timeZone": location.time_zone,
        "preferredLanguage": location.preferred_language,
        "announcementLanguage": location.announcement_language,
    }
    return {k: v for k, v in data.items() if v is not None}


def _has_calling(packages: Iterable[str]) -> bool:
    return any(p in CALLING_CUSTOMER_PACKAGES for p in packages)


def _diff(name: str, desired: JSON, live: JSON) -> FieldDiff | None:
    """A managed field: ``None`` desired means undeclared, so not compared."""
    if desired is None or desired == live:
        return None
    return FieldDiff(name, live, desired)


@dataclass
class _Builder:
    """Mutable accumulators for one planning run; never escapes ``plan``."""

    desired: State
    live: State
    scope: frozenset[str] | None
    changes: dict[str, Change] = field(default_factory=dict)
    warnings: set[Notice] = field(default_factory=set)
    unmanaged: set[Notice] = field(default_factory=set)
    blocked: set[Notice] = field(default_factory=set)
    #: Managed live objects per kind (threshold denominators).
    managed: dict[Kind, int] = field(
        default_factory=lambda: {"customer": 0, "location": 0, "user": 0}
    )
    #: Per customer: location names whose creation is carried by the customer change.
    carried_hq: dict[str, str] = field(default_factory=dict)
    #: Per customer: live location name → desired name (renames), for user location mapping.
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Live locations and users per (customer, kind), counted on the first customer delete.
    children: Counter[tuple[str, str]] | None = None

    def add(self, change: Change) -> None:
        self.changes[change.address] = change

    def warn(self, address: str, message: str) -> None:
        self.warnings.add(Notice(address, message))

    def block(self, address: str, message: str) -> None:
        self.blocked.add(Notice(address, message))


def plan(desired: State, live: State, *, scope: frozenset[str] | None = None) -> Plan:
    """The changes that make ``live`` match ``desired``, with warnings, unmanaged objects and
    blocked reasons. ``scope``: only these customer externalIds (``None`` = the whole estate)."""
    b = _Builder(desired, live, scope)

    def in_scope(ext: str) -> bool:
        return scope is None or ext in scope

    desired_locs = _group(desired.locations.values(), in_scope)
    desired_users = _group(desired.users.values(), in_scope)
    live_locs = _group(live.locations.values(), in_scope)
    live_users = _group(live.users.values(), in_scope)

    for ext in sorted(e for e in desired.customers if in_scope(e)):
        cust = desired.customers[ext]
        live_cust = live.customers.get(ext)
        if live_cust is not None:
            b.managed["customer"] += 1
        if not _plan_customer(b, cust, live_cust, desired_locs.get(ext, {})):
            continue  # absent, or waiting: nothing under it is planned
        if live_cust is not None and live_cust.live is not None and not live_cust.live.org_id:
            if desired_locs.get(ext) or desired_users.get(ext):
                b.warn(
                    cust_addr(ext),
                    "customer has no organization yet: its locations and users wait until "
                    "it is provisioned",
                )
            continue
        creating = live_cust is None
        _plan_locations(b, cust, creating, desired_locs.get(ext, {}), live_locs.get(ext, {}))
        _plan_users(
            b,
            cust,
            creating,
            desired_users.get(ext, {}),
            live_users.get(ext, {}),
            live_locs.get(ext, {}),
        )

    if scope is None:
        for ext in sorted(set(live.customers) - set(desired.customers)):
            b.unmanaged.add(Notice(cust_addr(ext), "customer is in no YAML file: left alone"))

    _thresholds(b)
    return Plan(
        changes=_ordered(b.changes.values()),
        warnings=tuple(sorted(b.warnings)),
        unmanaged=tuple(sorted(b.unmanaged)),
        blocked=tuple(sorted(b.blocked)),
        scope=tuple(sorted(scope)) if scope is not None else (),
    )


def cust_addr(ext: str) -> str:
    return address_of("customer", ext)


def _group(items: Iterable[_T], in_scope: Callable[[str], bool]) -> dict[str, dict[str, _T]]:
    """Objects per customer, keyed by their name (location) or lower-cased email (user)."""
    out: dict[str, dict[str, _T]] = {}
    for item in items:
        if not in_scope(item.customer):
            continue
        out.setdefault(item.customer, {})[item.key[1]] = item
    return out


# --- customers -------------------------------------------------------------------------------


def _plan_customer(
    b: _Builder, cust: Customer, live: Customer | None, locations: Mapping[str, Location]
) -> bool:
    """Plan one customer; True when its locations and users are to be planned too."""
    addr = cust_addr(cust.external_id)
    status = live.live.status if live is not None and live.live is not None else None
    if status in IN_FLIGHT:
        b.warn(
            addr,
            f"customer is {status}: wait for Partner Hub to finish; nothing is issued for it "
            "or its locations and users in this run",
        )
        return False
    if cust.state == "absent":
        if live is not None:
            b.add(Change("delete", "customer", cust.external_id, notes=_delete_notes(b, cust)))
        return False
    if live is not None and live.live is not None:
        if status in FAILED:
            codes = ", ".join(live.live.errors) or "none reported"
            b.warn(addr, f"customer status is {status} (error codes: {codes})")
        elif status == "pending_rpl_review":
            b.warn(addr, "customer is pending_rpl_review (Denied Party List compliance check)")

    hq = locations.get(cust.headquarters) if cust.headquarters else None
    if live is None:
        _create_customer(b, cust, hq)
    else:
        _update_customer(b, cust, live, hq)
    return True


def _delete_notes(b: _Builder, cust: Customer) -> tuple[str, ...]:
    if b.children is None:
        b.children = Counter()
        b.children.update((k[0], "location") for k in b.live.locations)
        b.children.update((k[0], "user") for k in b.live.users)
    ext = cust.external_id
    n_locs, n_users = b.children[(ext, "location")], b.children[(ext, "user")]
    return (f"removes the customer with its {n_locs} location(s) and {n_users} user(s)",)


def _create_customer(b: _Builder, cust: Customer, hq: Location | None) -> None:
    ext = cust.external_id
    fields = [
        FieldDiff("name", None, cust.name),
        FieldDiff("adminEmail", None, cust.admin_email),
        FieldDiff("language", None, cust.language),
        FieldDiff("template", None, cust.template),
        FieldDiff("packages", None, list(cust.packages)),
        FieldDiff("address", None, address_data(cust.address)),
        FieldDiff("meetingsTimeZone", None, cust.meetings_time_zone),
    ]
    notes: list[str] = []
    if hq is not None and hq.state == "present" and _has_calling(cust.packages):
        fields.append(FieldDiff("headquarters", None, location_data(hq)))
        b.carried_hq[ext] = hq.name
        notes.append(
            f"headquarters location {hq.name!r} is created by the customer's provisioning "
            "(provisioningParameters.calling), not separately"
        )
    b.add(
        Change(
            "create",
            "customer",
            ext,
            fields=tuple(f for f in fields if f.after is not None),
            notes=tuple(notes),
        )
    )
    template = b.desired.templates.get(cust.template or "")
    if template is None or not template.provisioning_id:
        b.block(
            cust_addr(ext),
            f"template {cust.template!r} has no provisioningId: create the template in Partner "
            f"Hub and copy its Provisioning ID into the Template document ({CHECKLIST_HINT})",
        )


def _update_customer(b: _Builder, cust: Customer, live: Customer, hq: Location | None) -> None:
    ext = cust.external_id
    addr = cust_addr(ext)
    for label, want, have in (
        ("name", cust.name, live.name),
        ("adminEmail", cust.admin_email, live.admin_email),
        ("language", cust.language, live.language),
        ("template", cust.template, live.template),
    ):
        if want is not None and have is not None and want != have:
            b.warn(
                addr,
                f"{label} cannot change after creation: live {have!r}, YAML {want!r} (ignored)",
            )
    fields: list[FieldDiff] = []
    notes: list[str] = []
    packages = _diff("packages", list(cust.packages), list(live.packages))
    if packages is not None:
        fields.append(packages)
        added = sorted(set(cust.packages) - set(live.packages))
        removed = sorted(set(live.packages) - set(cust.packages))
        notes.append(
            "packages: "
            + ", ".join([f"+{p}" for p in added] + [f"-{p}" for p in removed])
            + " (the complete set is sent)"
        )
    address = _diff("address", address_data(cust.address), address_data(live.address))
    if address is not None:
        fields.append(address)
    if live.meetings_time_zone is not None:
        tz = _diff("meetingsTimeZone", cust.meetings_time_zone, live.meetings_time_zone)
        if tz is not None:
            fields.append(tz)
    if packages is not None and _has_calling(cust.packages):
        if hq is None:
            notes.append("calling packages need a headquarters location (none declared)")
        elif not _has_calling(live.packages):
            fields.append(FieldDiff("headquarters", None, location_data(hq)))
            notes.append(
                f"adds calling: headquarters location {hq.name!r} is sent as "
                "provisioningParameters.calling.location"
            )
            if (ext, hq.name) not in b.live.locations:
                b.carried_hq[ext] = hq.name
        else:
            notes.append(
                f"provisioningParameters.calling is re-sent from headquarters location {hq.name!r}"
            )
    if fields:
        b.add(Change("update", "customer", ext, fields=tuple(fields), notes=tuple(notes)))


# --- locations -------------------------------------------------------------------------------


def _plan_locations(
    b: _Builder,
    cust: Customer,
    creating: bool,
    desired: Mapping[str, Location],
    live: Mapping[str, Location],
) -> None:
    ext = cust.external_id
    b.managed["location"] += len(live)
    claimed: set[str] = set()
    renames: dict[str, str] = {}
    cust_change = cust_addr(ext) if cust_addr(ext) in b.changes else None
    deps = (cust_change,) if creating and cust_change else ()

    # Present locations first, by their own name, so `previously` never steals a live
    # location that another desired location names directly.
    present = [loc for _, loc in sorted(desired.items()) if loc.state == "present"]
    claimed.update(loc.name for loc in present if loc.name in live)
    for loc in present:
        addr = address_of("location", ext, loc.name)
        match = live.get(loc.name)
        old_name = None
        if match is None:
            for prev in loc.previously:
                if prev in live and prev not in claimed:
                    match, old_name = live[prev], prev
                    claimed.add(prev)
                    renames[prev] = loc.name
                    break
        if match is None:
            if b.carried_hq.get(ext) == loc.name:
                continue
            new = (
                FieldDiff("name", None, loc.name),
                FieldDiff("address", None, address_data(loc.address)),
                FieldDiff("timeZone", None, loc.time_zone),
                FieldDiff("preferredLanguage", None, loc.preferred_language),
                FieldDiff("announcementLanguage", None, loc.announcement_language),
            )
            b.add(
                Change(
                    "create",
                    "location",
                    ext,
                    loc.name,
                    fields=tuple(f for f in new if f.after is not None),
                    depends_on=deps,
                )
            )
            continue
        if (
            loc.announcement_language is not None
            and match.announcement_language is not None
            and loc.announcement_language != match.announcement_language
        ):
            b.warn(
                addr,
                "announcementLanguage cannot change after creation: live "
                f"{match.announcement_language!r}, YAML {loc.announcement_language!r} (ignored)",
            )
        diffs = [
            _diff("name", loc.name, match.name),
            _diff("address", address_data(loc.address), address_data(match.address)),
            _diff("timeZone", loc.time_zone, match.time_zone),
            _diff("preferredLanguage", loc.preferred_language, match.preferred_language),
        ]
        changed = tuple(d for d in diffs if d is not None)
        if changed:
            notes = (f"rename from {old_name!r}",) if old_name else ()
            b.add(Change("update", "location", ext, loc.name, fields=changed, notes=notes))

    b.renamed[ext] = renames
    for loc in (loc for _, loc in sorted(desired.items()) if loc.state == "absent"):
        if loc.name in live and loc.name not in claimed:
            claimed.add(loc.name)
            b.add(Change("delete", "location", ext, loc.name, notes=("state: absent",)))
    for name in sorted(set(live) - claimed):
        addr = address_of("location", ext, name)
        if b.desired.settings.prune:
            b.add(Change("delete", "location", ext, name, notes=("prune: in no YAML file",)))
        else:
            b.unmanaged.add(Notice(addr, "location is in no YAML file: left alone (prune off)"))


# --- users -----------------------------------------------------------------------------------


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


def _plan_users(
    b: _Builder,
    cust: Customer,
    creating: bool,
    desired: Mapping[str, User],
    live: Mapping[str, User],
    live_locations: Mapping[str, Location],
) -> None:
    ext = cust.external_id
    b.managed["user"] += len(live)
    renames = b.renamed.get(ext, {})
    claimed: set[str] = set()

    # A customer change that creates the customer or changes its packages comes first: the
    # users' packages (and a headquarters it carries) exist only once it is done.
    cust_change = b.changes.get(cust_addr(ext))
    cust_dep: tuple[str, ...] = ()
    if cust_change is not None and (
        creating or any(f.field == "packages" for f in cust_change.fields)
    ):
        cust_dep = (cust_change.address,)

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
                b.add(Change("delete", "user", ext, email, notes=("state: absent",)))
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
            _diff("firstName", user.first_name, match.first_name),
            _diff("lastName", user.last_name, match.last_name),
            _diff("package", user.package, match.package),
            _diff("location", user.location, live_location),
            _diff("phoneNumber", user.phone_number, match.phone_number),
            _diff("extension", user.extension, match.extension),
            _diff("roles", list(user.roles), list(match.roles)),
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
        changed = {f.field for f in fields}
        deps = tuple(
            sorted(
                set(
                    (cust_dep if "package" in changed else ())
                    + (location_deps(user.location) if "location" in changed else ())
                )
            )
        )
        b.add(
            Change("update", "user", ext, email, fields=fields, depends_on=deps, notes=tuple(notes))
        )

    for email in sorted(set(live) - claimed):
        addr = address_of("user", ext, email)
        if b.desired.settings.prune:
            b.add(Change("delete", "user", ext, email, notes=("prune: in no YAML file",)))
        else:
            b.unmanaged.add(Notice(addr, "user is in no YAML file: left alone (prune off)"))

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
                    depends_on=tuple(leaving),
                )
            )


# --- safety and order ------------------------------------------------------------------------


def _thresholds(b: _Builder) -> None:
    settings = b.desired.settings
    for kind in KINDS:
        total = b.managed[kind]
        if total < MIN_MANAGED_FOR_THRESHOLDS:
            continue
        for action, limit, name in (
            ("delete", settings.max_delete_percent, "maxDeletePercent"),
            ("update", settings.max_update_percent, "maxUpdatePercent"),
        ):
            count = sum(1 for c in b.changes.values() if c.kind == kind and c.action == action)
            percent = 100.0 * count / total
            if count and percent > limit:
                b.block(
                    kind,
                    f"{count} of {total} managed {kind}s would be {action}d ({percent:.1f}%), "
                    f"above {name} {limit:g}%",
                )


_PHASE = {
    ("create", "customer"): 0,
    ("update", "customer"): 0,
    ("create", "location"): 1,
    ("update", "location"): 1,
    ("create", "user"): 2,
    ("update", "user"): 2,
    ("delete", "user"): 3,
    ("delete", "location"): 4,
    ("delete", "customer"): 5,
}


def _ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(
        sorted(changes, key=lambda c: (_PHASE[(c.action, c.kind)], c.customer, c.name or ""))
    )
