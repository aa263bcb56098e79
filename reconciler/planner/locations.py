"""Locations of one customer: match by name (or a ``previously`` name), diff, prune."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.model import Customer, Location
from reconciler.plan import Change, FieldDiff, LocationFacts, Notice, address_of
from reconciler.planner.common import Findings, address_data, created, diff, merged, prune_or_list


@dataclass(frozen=True, slots=True)
class LocationPlan:
    """One customer's locations planned, and its renames (live name → desired name) for the
    users that stay in a renamed location."""

    findings: Findings
    renames: Mapping[str, str] = field(default_factory=dict)


def _matches(
    present: list[Location], live: Mapping[str, Location]
) -> tuple[dict[str, tuple[Location, str | None]], set[str]]:
    """Desired name → (its live location, the old name of a rename), and the live names
    claimed. Present locations are matched by their own name first, so ``previously`` never
    steals a live location that another desired location names directly."""
    claimed = {loc.name for loc in present if loc.name in live}
    found: dict[str, tuple[Location, str | None]] = {}
    for loc in present:
        if loc.name in live:
            found[loc.name] = (live[loc.name], None)
            continue
        prev = next((p for p in loc.previously if p in live and p not in claimed), None)
        if prev is None:
            prev = _same_but_case(loc, live, claimed)
        if prev is not None:
            claimed.add(prev)
            found[loc.name] = (live[prev], prev)
    return found, claimed


def _same_but_case(loc: Location, live: Mapping[str, Location], claimed: set[str]) -> str | None:
    """The unclaimed live name that is the desired name (or a ``previously`` name) in another
    case: Webex refuses a second location whose name differs only in case (the sandbox's
    ``duplicate_location_name_status``), so it is this location, renamed to the YAML's case."""
    wanted = {n.lower() for n in (loc.name, *loc.previously)}
    return next((n for n in sorted(live) if n not in claimed and n.lower() in wanted), None)


def plan_locations(
    cust: Customer,
    desired: Mapping[str, Location],
    live: Mapping[str, Location],
    *,
    carried: str | None,
    prune: bool,
) -> LocationPlan:
    """``carried``: the headquarters the customer's change creates (no create of its own)."""
    ext = cust.external_id
    present = [loc for _, loc in sorted(desired.items()) if loc.state == "present"]
    found, claimed = _matches(present, live)
    parts: list[Findings] = []
    for loc in present:
        facts = LocationFacts(loc, headquarters=cust.headquarters == loc.name)
        if loc.name in found:
            match, old_name = found[loc.name]
            parts.append(_update(ext, loc, match, LocationFacts(loc, old_name, facts.headquarters)))
        elif carried != loc.name:
            parts.append(Findings(changes=(_create(ext, loc, facts),)))
    for loc in (loc for _, loc in sorted(desired.items()) if loc.state == "absent"):
        if loc.name in live and loc.name not in claimed:
            claimed.add(loc.name)
            change = Change("delete", "location", ext, loc.name, notes=("state: absent",))
            parts.append(Findings(changes=(change,)))
    for name in sorted(set(live) - claimed):
        parts.append(prune_or_list("location", ext, name, prune=prune))
    renames = {old: name for name, (_, old) in found.items() if old is not None}
    return LocationPlan(merged(parts), renames)


def _create(ext: str, loc: Location, facts: LocationFacts) -> Change:
    new = (
        FieldDiff("name", None, loc.name),
        FieldDiff("address", None, address_data(loc.address)),
        FieldDiff("timeZone", None, loc.time_zone),
        FieldDiff("preferredLanguage", None, loc.preferred_language),
        FieldDiff("announcementLanguage", None, loc.announcement_language),
    )
    return Change("create", "location", ext, loc.name, fields=created(new), facts=facts)


def _update(ext: str, loc: Location, match: Location, facts: LocationFacts) -> Findings:
    warnings: tuple[Notice, ...] = ()
    if (
        loc.announcement_language is not None
        and match.announcement_language is not None
        and loc.announcement_language != match.announcement_language
    ):
        warnings = (
            Notice(
                address_of("location", ext, loc.name),
                "announcementLanguage cannot change after creation: live "
                f"{match.announcement_language!r}, YAML {loc.announcement_language!r} (ignored)",
            ),
        )
    diffs = [
        diff("name", loc.name, match.name),
        diff("address", address_data(loc.address), address_data(match.address)),
        diff("timeZone", loc.time_zone, match.time_zone),
        diff("preferredLanguage", loc.preferred_language, match.preferred_language),
    ]
    changed = tuple(d for d in diffs if d is not None)
    if not changed:
        return Findings(warnings=warnings)
    notes = (f"rename from {facts.previous_name!r}",) if facts.previous_name else ()
    change = Change("update", "location", ext, loc.name, fields=changed, notes=notes, facts=facts)
    return Findings(changes=(change,), warnings=warnings)
