"""The order of a plan's changes and every dependency between them, in one pass over the
whole plan.

Order: creates and updates top-down (customers, locations, users), deletes bottom-up (users,
locations, customers); each group sorted by customer and name.

Dependencies (``depends_on`` names the addresses of changes in the same plan):
- every location and user change of a customer, deletes included, waits for that customer's
  change: Partner Hub runs a customer create or update asynchronously
  (``provisioning``/``updating``) and its packages, org and headquarters are settled only after
  it;
- a user change that puts the user in a location waits for that location's change, or for the
  customer change that carries it as headquarters;
- a location delete waits for the changes of the users that leave it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from reconciler.plan import Action, Change, CustomerFacts, Kind, UserFacts, address_of

_PHASE: dict[tuple[Action, Kind], int] = {
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


def ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
    """The changes in plan order, each with every dependency the rules above give it."""
    planned = list(changes)
    addresses = {c.address for c in planned}
    carried: dict[str, str] = {}
    leaving: dict[tuple[str, str], list[str]] = {}
    for c in planned:
        if isinstance(c.facts, CustomerFacts) and c.facts.carries is not None:
            carried[c.customer] = c.facts.carries
        if isinstance(c.facts, UserFacts) and c.facts.leaves_location is not None:
            leaving.setdefault((c.customer, c.facts.leaves_location), []).append(c.address)

    def needs(c: Change) -> tuple[str, ...]:
        if c.kind == "customer":
            return c.depends_on
        found = set(c.depends_on)
        customer = address_of("customer", c.customer)
        if customer in addresses:
            found.add(customer)
        if c.kind == "location" and c.action == "delete":
            found.update(leaving.get((c.customer, c.name or ""), ()))
        if isinstance(c.facts, UserFacts) and c.facts.sets_location is not None:
            location = c.facts.sets_location
            if carried.get(c.customer) == location:
                found.add(customer)
            elif address_of("location", c.customer, location) in addresses:
                found.add(address_of("location", c.customer, location))
        return tuple(sorted(found))

    with_deps = [replace(c, depends_on=needs(c)) for c in planned]
    return tuple(
        sorted(with_deps, key=lambda c: (_PHASE[(c.action, c.kind)], c.customer, c.name or ""))
    )
