"""What every part of the planner returns (``Findings``) and the small value helpers they
share. The parts talk only through their arguments and return values."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from reconciler.model import Address, Location, User
from reconciler.plan import JSON, Change, FieldDiff, Kind, Notice, UserFacts, address_of

_T = TypeVar("_T", Location, User)


@dataclass(frozen=True, slots=True)
class Findings:
    """The changes and notices one part of the planner found (changes without their
    ``depends_on``: ``order.ordered`` adds those once the whole plan is known)."""

    changes: tuple[Change, ...] = ()
    warnings: tuple[Notice, ...] = ()
    unmanaged: tuple[Notice, ...] = ()
    blocked: tuple[Notice, ...] = ()


def merged(parts: Iterable[Findings]) -> Findings:
    """All parts as one (in one pass: a plan of 100,000 users has thousands of parts)."""
    changes: list[Change] = []
    warnings: list[Notice] = []
    unmanaged: list[Notice] = []
    blocked: list[Notice] = []
    for part in parts:
        changes.extend(part.changes)
        warnings.extend(part.warnings)
        unmanaged.extend(part.unmanaged)
        blocked.extend(part.blocked)
    return Findings(tuple(changes), tuple(warnings), tuple(unmanaged), tuple(blocked))


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


def created(fields: Iterable[FieldDiff]) -> tuple[FieldDiff, ...]:
    """The fields of a create: the declared ones."""
    return tuple(f for f in fields if f.after is not None)


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


def prune_or_list(
    kind: Kind, ext: str, name: str, *, prune: bool, leaves_location: str | None = None
) -> Findings:
    """A live location or user under a managed customer that no YAML names: deleted with
    ``prune``, else listed as unmanaged (``leaves_location``: a pruned user's live location)."""
    if prune:
        facts = None if kind == "location" else UserFacts(leaves_location=leaves_location)
        notes = ("prune: in no YAML file",)
        return Findings(changes=(Change("delete", kind, ext, name, notes=notes, facts=facts),))
    message = f"{kind} is in no YAML file: left alone (prune off)"
    return Findings(unmanaged=(Notice(address_of(kind, ext, name), message),))
