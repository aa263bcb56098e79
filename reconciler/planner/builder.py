"""The accumulators of one planning run and the small value helpers every part shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.model import Address, Location, State, User
from reconciler.plan import JSON, Change, FieldDiff, Kind, Notice, address_of

_T = TypeVar("_T", Location, User)


def address_data(address: Address | None) -> dict[str, str] | None:
    """The plan's (and the YAML's) shape of an address; absent parts are left out."""
    return None if address is None else address.to_data()


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


def diff(name: str, desired: JSON, live: JSON) -> FieldDiff | None:
    """A managed field: ``None`` desired means undeclared, so not compared."""
    if desired is None or desired == live:
        return None
    return FieldDiff(name, live, desired)


def cust_addr(ext: str) -> str:
    return address_of("customer", ext)


def group(items: Iterable[_T], in_scope: Callable[[str], bool]) -> dict[str, dict[str, _T]]:
    """Objects per customer, keyed by their name (location) or lower-cased email (user)."""
    out: dict[str, dict[str, _T]] = {}
    for item in items:
        if not in_scope(item.customer):
            continue
        out.setdefault(item.customer, {})[item.key[1]] = item
    return out


@dataclass
class Builder:
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
    #: Customer updates that only retry a failed provisioning (no YAML change in them): not
    #: counted against maxUpdatePercent.
    retry_only: set[str] = field(default_factory=set)
    #: Per customer: live location name → desired name (renames), for user location mapping.
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Live locations and users per (customer, kind), counted on the first customer delete.
    children: Counter[tuple[str, str]] | None = None

    def add(self, change: Change) -> None:
        self.changes[change.address] = change

    def prune_or_list(self, kind: Kind, ext: str, name: str, depends_on: tuple[str, ...]) -> None:
        """A live location or user under a managed customer that no YAML names: deleted with
        ``prune``, else listed as unmanaged."""
        if self.desired.settings.prune:
            notes = ("prune: in no YAML file",)
            self.add(Change("delete", kind, ext, name, depends_on=depends_on, notes=notes))
        else:
            self.unmanaged.add(
                Notice(
                    address_of(kind, ext, name),
                    f"{kind} is in no YAML file: left alone (prune off)",
                )
            )

    def warn(self, address: str, message: str) -> None:
        self.warnings.add(Notice(address, message))

    def block(self, address: str, message: str) -> None:
        self.blocked.add(Notice(address, message))
