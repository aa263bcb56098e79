"""The order of a plan's changes and every dependency between them, in one pass over the
whole plan.

Order: creates and updates top-down (customers, locations, calling enabled, numbers added,
users), deletes bottom-up (users, numbers removed, calling disabled, locations, customers);
each group sorted by customer and name.

Dependencies (``depends_on`` names the addresses of changes in the same plan):
- every location and user change of a customer, deletes included, waits for that customer's
  change: Partner Hub runs a customer create or update asynchronously
  (``provisioning``/``updating``) and its packages, org and headquarters are settled only after
  it;
- a user change that puts the user in a location waits for that location's change, or for the
  customer change that carries it as headquarters;
- a location delete waits for the changes of the users that leave it, and for the disabling
  of calling there;
- enabling calling at a location waits for that location's change; adding a number waits for
  calling at its location; a user change that puts the user in a location, or gives it a
  number, waits for calling there and for that number's add;
- removing a number, and disabling calling at a location, wait for the changes of the users
  that release the number / leave the location;
- a user change that takes a number or an extension (at its location) waits for the user
  changes that release it: Webex refuses one another user still holds. Two users swapping
  numbers would wait for each other, so between such a pair no dependency is added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from reconciler.plan import (
    Action,
    Change,
    CustomerFacts,
    Kind,
    NumberFacts,
    UserFacts,
    address_of,
)

_PHASE: dict[tuple[Action, Kind], int] = {
    ("create", "customer"): 0,
    ("update", "customer"): 0,
    ("create", "location"): 1,
    ("update", "location"): 1,
    ("create", "calling"): 2,
    ("create", "number"): 3,
    ("create", "user"): 4,
    ("update", "user"): 4,
    ("delete", "user"): 5,
    ("delete", "number"): 6,
    ("delete", "calling"): 7,
    ("delete", "location"): 8,
    ("delete", "customer"): 9,
}


def ordered(changes: Iterable[Change]) -> tuple[Change, ...]:
    """The changes in plan order, each with every dependency the rules above give it."""
    planned = list(changes)
    addresses = {c.address for c in planned}
    carried: dict[str, str] = {}
    leaving: dict[tuple[str, str], list[str]] = {}
    releasing: dict[tuple[str, str], list[str]] = {}
    adding: dict[tuple[str, str], str] = {}
    for c in planned:
        if isinstance(c.facts, CustomerFacts) and c.facts.carries is not None:
            carried[c.customer] = c.facts.carries
        if isinstance(c.facts, UserFacts) and c.facts.leaves_location is not None:
            leaving.setdefault((c.customer, c.facts.leaves_location), []).append(c.address)
        if isinstance(c.facts, UserFacts) and c.facts.leaves_number is not None:
            releasing.setdefault((c.customer, c.facts.leaves_number), []).append(c.address)
        if isinstance(c.facts, NumberFacts) and c.action == "create":
            adding[(c.customer, c.facts.number)] = c.address
    holds = _released_lines(planned)

    def needs(c: Change) -> tuple[str, ...]:
        if c.kind == "customer":
            return c.depends_on
        found = set(c.depends_on)
        customer = address_of("customer", c.customer)
        if customer in addresses:
            found.add(customer)
        if c.action == "delete" and c.kind in ("location", "calling"):
            found.update(leaving.get((c.customer, c.name or ""), ()))
            if c.kind == "location":
                found.add(address_of("calling", c.customer, c.name))
        if c.kind == "calling" and c.action == "create":
            found.add(address_of("location", c.customer, c.name))
        if isinstance(c.facts, NumberFacts):
            if c.action == "create":
                found.add(address_of("calling", c.customer, c.facts.location))
                found.add(address_of("location", c.customer, c.facts.location))
            else:
                found.update(releasing.get((c.customer, c.facts.number), ()))
        if isinstance(c.facts, UserFacts) and c.facts.sets_location is not None:
            location = c.facts.sets_location
            if carried.get(c.customer) == location:
                found.add(customer)
            else:
                found.add(address_of("location", c.customer, location))
            found.add(address_of("calling", c.customer, location))
        number = c.facts.sets_number if isinstance(c.facts, UserFacts) else None
        if number is not None and (c.customer, number) in adding:
            found.add(adding[(c.customer, number)])
        found.update(_waits_for_lines(c, holds))
        return tuple(sorted((found & addresses) | set(c.depends_on)))

    with_deps = [replace(c, depends_on=needs(c)) for c in planned]
    return tuple(
        sorted(with_deps, key=lambda c: (_PHASE[(c.action, c.kind)], c.customer, c.name or ""))
    )


Line = tuple[str, str]  # ("number", E164) or ("extension", "location name|extension")


def _taken(c: Change) -> set[Line]:
    """The number and extension a user change gives its user (only what it changes)."""
    facts = c.facts
    if c.kind != "user" or c.action == "delete" or not isinstance(facts, UserFacts):
        return set()
    taken: set[Line] = set()
    if facts.sets_number is not None:
        taken.add(("number", facts.sets_number))
    user, fields = facts.user, {f.field for f in c.fields}
    moved = c.action == "create" or bool(fields & {"extension", "location"})
    if user is not None and user.extension and user.location and moved:
        taken.add(("extension", f"{user.location.lower()}|{user.extension}"))
    return taken


def _released(c: Change) -> set[Line]:
    """The live number and extension a user change gives up."""
    facts = c.facts
    if c.kind != "user" or not isinstance(facts, UserFacts):
        return set()
    released: set[Line] = set()
    if facts.leaves_number is not None:
        released.add(("number", facts.leaves_number))
    if facts.leaves_extension is not None and facts.leaves_location is not None:
        released.add(("extension", f"{facts.leaves_location.lower()}|{facts.leaves_extension}"))
    return released


def _released_lines(planned: list[Change]) -> dict[tuple[str, Line], list[Change]]:
    """(customer, line) → the user changes that release it."""
    holds: dict[tuple[str, Line], list[Change]] = {}
    for c in planned:
        for line in _released(c):
            holds.setdefault((c.customer, line), []).append(c)
    return holds


def _waits_for_lines(c: Change, holds: dict[tuple[str, Line], list[Change]]) -> set[str]:
    """The changes releasing what ``c`` takes. Two users swapping extensions are blocked by
    :mod:`reconciler.planner.extensions`, so no dependency is added between them; numbers
    passed around (a swap or a longer ring) become a cycle, which :func:`first_cycle` finds."""
    mine = {line for line in _released(c) if line[0] == "extension"}
    return {
        r.address
        for line in _taken(c)
        for r in holds.get((c.customer, line), ())
        if r.address != c.address and not (line[0] == "extension" and _taken(r) & mine)
    }


def rings(changes: tuple[Change, ...]) -> list[tuple[str, ...]]:
    """Every ring of changes that wait for each other, each once (a plan with one cannot be
    applied in any order): found one by one, each taken out before looking again."""
    found: list[tuple[str, ...]] = []
    left = changes
    while ring := first_cycle(left):
        found.append(ring)
        gone = set(ring)
        left = tuple(c for c in left if c.address not in gone)
    return found


def first_cycle(changes: tuple[Change, ...]) -> tuple[str, ...]:
    """The addresses of one ring of changes that wait for each other (empty: none), in the
    order they wait."""
    deps = {c.address: c.depends_on for c in changes}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(address: str) -> tuple[str, ...]:
        state[address] = 1
        path.append(address)
        for dep in deps.get(address, ()):
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                return tuple(path[path.index(dep) :])
            if dep not in state and (ring := visit(dep)):
                return ring
        path.pop()
        state[address] = 2
        return ()

    for c in changes:
        if c.address not in state and (ring := visit(c.address)):
            return ring
    return ()
