"""Addresses against their country's Webex Calling configuration (pure).

``GET /telephony/config/countries/{code}`` answers ``stateRequired``, ``zipCodeRequired``,
the valid ``states`` and ``timeZones``. A planned location create or update, or enabling
calling at a location, whose address or time zone breaks its country's configuration is
blocked at the location's FILE:LINE, so apply never meets Webex's refusal. So is enabling
calling in a country Webex Calling does not serve (its configuration read answers 404, given
here as ``None``); a plain location there (no calling) is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.model import Address, Location
from reconciler.plan import CallingFacts, Change, LocationFacts, Notice, Plan
from reconciler.planner.calling import where

Json = dict[str, Any]


def _placed(change: Change) -> tuple[Location, Address | None] | None:
    facts = change.facts
    if change.kind == "location" and change.action != "delete" and isinstance(facts, LocationFacts):
        return facts.location, facts.location.address
    if change.kind == "calling" and isinstance(facts, CallingFacts) and facts.location:
        return facts.location, facts.address
    return None


def countries_to_read(plan: Plan) -> frozenset[str]:
    """The country codes of the planned location creates/updates and calling enables."""
    codes: set[str] = set()
    for change in plan.changes:
        placed = _placed(change)
        if placed is not None and placed[1] is not None:
            codes.add(placed[1].country.upper())
    return frozenset(codes)


def problems(country: Json, address: Address, time_zone: str | None) -> list[str]:
    """What ``address`` and ``time_zone`` break of one country's configuration."""
    found: list[str] = []
    states = {str(s.get("code")) for s in country.get("states") or () if isinstance(s, dict)}
    if country.get("stateRequired") and not address.state:
        found.append(f"country {address.country} requires a state")
    elif address.state and states and address.state not in states:
        found.append(f"state {address.state!r} is not a state of {address.country}")
    if country.get("zipCodeRequired") and not address.postal_code:
        found.append(f"country {address.country} requires a postalCode")
    zones = country.get("timeZones") or ()
    if time_zone and zones and time_zone not in zones:
        found.append(f"timeZone {time_zone!r} is not a time zone of {address.country}")
    return found


def _unserved(kind: str, code: str, address: Address) -> str:
    """What blocks a change placed in a country Webex Calling does not serve: enabling
    calling there; a location without both ``state`` and ``postalCode`` (with no country
    configuration to say otherwise, the /locations request schema requires both)."""
    if kind == "calling":
        return (
            f"country {code} is not supported for Webex Calling (Webex has no calling "
            "configuration for it): declare calling: false on the location, or place it in a "
            "country Webex Calling serves"
        )
    missing = [
        k for k, v in (("state", address.state), ("postalCode", address.postal_code)) if not v
    ]
    if not missing:
        return ""
    return (
        f"country {code} has no Webex Calling configuration, so a location there needs both "
        f"state and postalCode (the /locations request schema): declare {' and '.join(missing)}"
        " in the location's address"
    )


def with_countries(plan: Plan, countries: Mapping[str, Json | None]) -> Plan:
    """``plan`` with a blocked reason for each location whose address or time zone breaks
    its country's configuration, or whose calling it enables in a country Webex Calling does
    not serve (``countries``: code → configuration as read, None: not served)."""
    blocked: list[Notice] = []
    for change in plan.changes:
        placed = _placed(change)
        if placed is None:
            continue
        location, address = placed
        if address is None:
            continue
        code = address.country.upper()
        if code not in countries:
            continue
        country = countries[code]
        if country is None:
            message = _unserved(change.kind, code, address)
            if message:
                blocked.append(
                    Notice(
                        f"location/{location.customer}/{location.name}", message + where(location)
                    )
                )
            continue
        found = problems(country, address, location.time_zone)
        if found:
            message = (
                f"{'; '.join(found)} (Webex Calling's country configuration): fix the "
                f"location's address or time zone{where(location)}"
            )
            blocked.append(Notice(f"location/{location.customer}/{location.name}", message))
    if not blocked:
        return plan
    return replace(plan, blocked=tuple(sorted(set(plan.blocked) | set(blocked))))
