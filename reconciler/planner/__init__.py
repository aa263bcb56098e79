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
  live objects (in scope; once the kind has ``MIN_MANAGED_FOR_THRESHOLDS`` of them; a customer
  update that only retries a failed provisioning is not counted), creating a customer whose
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
- Order: customers, then locations, then users for creates and updates; deletes after them in
  the reverse order (users, locations, customers); each group sorted by address. Dependencies
  name the addresses of changes in the same plan: every location and user change of a customer
  (deletes included) depends on that customer's create or update, since Partner Hub runs both
  asynchronously (``provisioning``/``updating``) and its packages, org and headquarters are
  settled only after it; a user create or update that sets its location depends on a create or
  update of that location (or on the customer change that carries it as headquarters); a
  location delete depends on the changes of the users that leave it.
"""

from __future__ import annotations

from reconciler.model import State
from reconciler.plan import Notice, Plan
from reconciler.planner.builder import Builder, cust_addr, group
from reconciler.planner.customers import plan_customer
from reconciler.planner.locations import plan_locations
from reconciler.planner.order import ordered
from reconciler.planner.safety import thresholds
from reconciler.planner.users import plan_users

__all__ = ["plan"]


def plan(desired: State, live: State, *, scope: frozenset[str] | None = None) -> Plan:
    """The changes that make ``live`` match ``desired``, with warnings, unmanaged objects and
    blocked reasons. ``scope``: only these customer externalIds (``None`` = the whole estate)."""
    b = Builder(desired, live, scope)

    def in_scope(ext: str) -> bool:
        return scope is None or ext in scope

    desired_locs = group(desired.locations.values(), in_scope)
    desired_users = group(desired.users.values(), in_scope)
    live_locs = group(live.locations.values(), in_scope)
    live_users = group(live.users.values(), in_scope)

    for ext in sorted(e for e in desired.customers if in_scope(e)):
        cust = desired.customers[ext]
        live_cust = live.customers.get(ext)
        if live_cust is not None:
            b.managed["customer"] += 1
        children = plan_customer(
            b,
            cust,
            live_cust,
            desired_locs.get(ext, {}),
            has_children=bool(desired_locs.get(ext) or desired_users.get(ext)),
        )
        if children == "none":
            continue  # absent, or waiting: nothing under it is planned
        live_l = live_locs.get(ext, {}) if children == "live" else {}
        live_u = live_users.get(ext, {}) if children == "live" else {}
        plan_locations(b, cust, desired_locs.get(ext, {}), live_l)
        plan_users(b, cust, desired_users.get(ext, {}), live_u, live_l)

    if scope is None:
        for ext in sorted(set(live.customers) - set(desired.customers)):
            b.unmanaged.add(Notice(cust_addr(ext), "customer is in no YAML file: left alone"))

    thresholds(b)
    return Plan(
        changes=ordered(b.changes.values()),
        warnings=tuple(sorted(b.warnings)),
        unmanaged=tuple(sorted(b.unmanaged)),
        blocked=tuple(sorted(b.blocked)),
        scope=tuple(sorted(scope)) if scope is not None else (),
    )
