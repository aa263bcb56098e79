"""Compute a Plan from a desired and a live State; pure (no IO, no clock, no randomness).

Contract:

- Matching is by key: customer ``externalId``; location name within its customer (a desired
  location whose name is not live but one of its ``previously`` names is, or a live name that
  differs only in case, which Webex would refuse as a second location, is a *rename*: an
  update with a note); user email, case-insensitively (the model keys are lower-cased).
- Only managed fields are diffed: customer name, packages, address, meetings time zone; location
  name, address, time zone, preferred language; user names, package, location, phone number,
  extension, roles. A desired ``None`` means "not declared" and is not compared; a live ``None``
  for a field the API never returns (the meetings time zone) is "unknown", not a difference.
- Create-only fields (customer admin email, language, template; location announcement
  language) that differ from a *known* live value are warnings, never changes (the admin email
  differs when it is none of the org's Full Administrators). A customer ``name`` that differs
  from its org's displayName is an ``update`` of ``name`` (the org is renamed through the
  identity API); without an org yet, a warning.
- A customer created (or updated to add calling) with a calling package carries its
  headquarters location in ``provisioningParameters.calling``: that location is part of the
  customer change (field ``headquarters``), never a second create.
- Ownership: live customers that no YAML names are untouched (listed as unmanaged only in an
  unscoped plan). ``state: absent`` deletes; a delete of something not live is no change.
  Locations and users under a managed customer that no YAML names are deleted when
  ``Settings.prune`` is on, else listed as unmanaged.
- Safety: deletes/updates above ``maxDeletePercent``/``maxUpdatePercent`` of a kind's managed
  live objects (in scope; once the kind has ``MIN_MANAGED_FOR_THRESHOLDS`` of them; a customer
  update that only retries a failed provisioning is not counted; a customer delete counts as
  the deletes of its live locations and users too; customer deletes above the percentage, or
  of every managed customer, block whatever their number; in a scoped plan the customers
  outside the scope that the YAML declares count as managed), creating a customer whose
  template has no provisioningId, and a package change for a user holding the Full
  Administrator role make the plan *blocked* (the changes stay in the plan, so a reviewer sees
  them and ``--force`` can lift the block).
- Live statuses: customers ``provisioning``/``updating``/``deleting`` are waited for (a warning,
  no change for them or anything under them). ``error``/``provisioned_with_errors`` are a
  warning with their error codes *and* an ``update`` that retries the provisioning: the same PUT
  as any update (packages, address, calling parameters with the headquarters), planned even
  when nothing differs, with a ``retry: …`` note. Without an org yet (a failed first
  provisioning) the retry is planned like a create: the headquarters is carried by it and every
  desired location and user is a create; with an org, locations and users are planned against
  live. ``pending_rpl_review`` (Denied Party List check) is a warning only: nothing is planned
  for the customer or under it until Partner Hub clears it. Any other customer without an org
  has its locations and users wait. Users in ``pending_user_migration`` are warnings and get
  no update.
- Users' extensions and roles: a user change taking an extension another live person holds at
  that location, and keeps, is blocked (:mod:`reconciler.planner.extensions`); one naming a role
  ``GET /roles`` does not list (``live.role_names``, when read) is blocked too.
- Duplicates: live objects read twice under one key (two locations with one name, two
  subscribers with one email) are a warning each, and block the plan when a change touches
  them (:mod:`reconciler.planner.duplicates`).
- A calling location disabled while live calling users stay there (unmanaged, or people with
  no subscription holding an extension) is blocked (:mod:`reconciler.planner.stayers`).
- Emails: a user created whose email is a person of another customer's org read is blocked
  (:mod:`reconciler.planner.emails`).
- Order and dependencies: see :mod:`reconciler.planner.order`, which adds every
  ``depends_on`` once the whole plan is known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from reconciler.model import Location, State, User
from reconciler.plan import CustomerFacts, Kind, Notice, Plan
from reconciler.planner.calling import Scene, live_calling, plan_calling
from reconciler.planner.common import Findings, cust_addr, group, merged
from reconciler.planner.customers import plan_customer
from reconciler.planner.duplicates import duplicate_findings
from reconciler.planner.emails import foreign_emails
from reconciler.planner.locations import plan_locations
from reconciler.planner.order import ordered, rings
from reconciler.planner.provider import with_provider_numbers
from reconciler.planner.safety import thresholds
from reconciler.planner.stayers import calling_users_left
from reconciler.planner.users import plan_users

__all__ = ["plan"]

_Grouped = Mapping[str, Mapping[str, Location]]


def plan(desired: State, live: State, *, scope: frozenset[str] | None = None) -> Plan:
    """The changes that make ``live`` match ``desired``, with warnings, unmanaged objects and
    blocked reasons. ``scope``: only these customer externalIds (``None`` = the whole estate)."""

    def in_scope(ext: str) -> bool:
        return scope is None or ext in scope

    desired_locs = group(desired.locations.values(), in_scope)
    desired_users = group(desired.users.values(), in_scope)
    live_locs = group(live.locations.values(), in_scope)
    live_users = group(live.users.values(), in_scope)
    parts: list[Findings] = []
    managed: Counter[Kind] = Counter()
    retry_only: set[str] = set()
    held: dict[str, dict[tuple[str, str], str]] = {}
    for (ext, location, number), email in live.extensions.items():
        held.setdefault(ext, {})[(location, number)] = email
    for ext in sorted(e for e in desired.customers if in_scope(e)):
        part, counts, retry = _plan_one(
            desired, live, ext, (desired_locs, live_locs), (desired_users, live_users), held
        )
        parts.append(part)
        managed.update(counts)
        if retry:
            retry_only.add(cust_addr(ext))
    if scope is None:
        unmanaged = tuple(
            Notice(cust_addr(ext), "customer is in no YAML file: left alone")
            for ext in sorted(set(live.customers) - set(desired.customers))
        )
        parts.append(Findings(unmanaged=unmanaged))
    if scope is not None:
        # a scoped plan reads only its customers: the others the YAML keeps count as managed
        # customers (so that deleting the one customer in scope is not "every customer")
        managed["customer"] += sum(
            1 for ext, c in desired.customers.items() if ext not in scope and c.state == "present"
        )
    found = merged(parts)
    found = merged((found, duplicate_findings(found.changes, live.duplicates, in_scope)))
    found = merged((found, foreign_emails(found.changes, live)))
    found = merged((found, calling_users_left(found.changes, desired, live)))
    blocked = thresholds(found.changes, managed, retry_only, desired.settings)
    changes = ordered(found.changes)
    blocked += tuple(_ring(ring) for ring in rings(changes))
    return Plan(
        changes=changes,
        warnings=tuple(sorted(set(found.warnings))),
        unmanaged=tuple(sorted(set(found.unmanaged))),
        blocked=tuple(sorted(set(found.blocked + blocked))),
        scope=tuple(sorted(scope)) if scope is not None else (),
    )


def _ring(ring: tuple[str, ...]) -> Notice:
    """The blocked reason of changes that wait for each other (numbers passed around users)."""
    return Notice(
        ring[0],
        f"changes wait for each other in a ring ({' -> '.join((*ring, ring[0]))}): users "
        "passing their numbers around, each taking one another still holds (which Webex "
        "refuses), cannot be applied in any order; give one of them a free number first and "
        "pass the rest on in a later change",
    )


def _plan_one(
    desired: State,
    live: State,
    ext: str,
    locations: tuple[_Grouped, _Grouped],
    users: tuple[Mapping[str, Mapping[str, User]], Mapping[str, Mapping[str, User]]],
    held_by_people: Mapping[str, Mapping[tuple[str, str], str]],
) -> tuple[Findings, Counter[Kind], bool]:
    """One customer and everything under it: its findings, its managed live objects per kind
    and whether its update only retries a failed provisioning."""
    cust, live_cust = desired.customers[ext], live.customers.get(ext)
    want_locs, have_locs = locations[0].get(ext, {}), locations[1].get(ext, {})
    want_users, have_users = users[0].get(ext, {}), users[1].get(ext, {})
    managed: Counter[Kind] = Counter({"customer": 1} if live_cust is not None else {})
    planned = plan_customer(
        cust,
        live_cust,
        want_locs,
        have_locs,
        desired.templates,
        has_children=bool(want_locs or want_users),
        live_users=len(have_users),
    )
    if planned.children == "none":
        if cust.state == "absent" and live_cust is not None:
            # a customer delete takes its locations and users: they count as managed
            managed.update(location=len(have_locs), user=len(have_users))
        return planned.findings, managed, planned.retry_only
    if planned.children == "fresh":
        have_locs, have_users = {}, {}
    managed.update(location=len(have_locs), user=len(have_users))
    carried = next(
        (c.facts.carries for c in planned.findings.changes if isinstance(c.facts, CustomerFacts)),
        None,
    )
    prune = desired.settings.prune
    located = plan_locations(cust, want_locs, have_locs, carried=carried, prune=prune)
    live_side = live_cust if planned.children != "fresh" else None
    scene = Scene(
        cust,
        live_side,
        want_locs,
        have_locs,
        want_users,
        have_users,
        carried=carried,
        renames=located.renames,
        deleted=_deleted_locations(located.findings),
        prune=prune,
    )
    people = _people(scene, held_by_people.get(ext, {}), live.role_names)
    wait = desired.settings.provider_numbers_wait
    both = with_provider_numbers(scene, plan_calling(scene), people, wait)
    return merged((planned.findings, located.findings, both)), managed, planned.retry_only


def _people(
    scene: Scene, held: Mapping[tuple[str, str], str], role_names: frozenset[str] | None
) -> Findings:
    """The customer's users planned (``held``: extensions of its org's people who are not
    users; none when its children are planned fresh)."""
    return plan_users(
        scene.cust,
        scene.desired_users,
        scene.live_users,
        renames=scene.renames,
        prune=scene.prune,
        calling_at=live_calling(scene),
        held=held if scene.live_cust is not None else {},
        role_names=role_names,
    )


def _deleted_locations(findings: Findings) -> frozenset[str]:
    """The names of the locations ``findings`` delete."""
    return frozenset(
        c.name or "" for c in findings.changes if c.kind == "location" and c.action == "delete"
    )
