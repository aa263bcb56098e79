"""The order of a plan's changes: creates and updates top-down, deletes bottom-up."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.plan import Action, Change, Kind

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
    """Customers, locations, users for creates and updates, then deletes in the reverse
    order (users, locations, customers); each group sorted by customer and name."""
    return tuple(
        sorted(changes, key=lambda c: (_PHASE[(c.action, c.kind)], c.customer, c.name or ""))
    )
