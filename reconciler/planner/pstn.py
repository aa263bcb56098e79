"""Managed numbers against their location's PSTN connection (pure).

Webex adds and removes a location's numbers by API only for a Local Gateway or a
non-integrated cloud-connected PSTN (the Cloud Calling extracts: "It should never be used for
locations with integrated PSTN connection types like Cisco Calling Plans or Integrated
CCP"); elsewhere the provider supplies them and Webex refuses both. ``GET /telephony/pstn/
locations/{id}/connection`` answers the connection's ``pstnConnectionType``.

It is read only where it matters: once per live calling location the plan adds numbers to
or removes numbers from (:func:`pstn_to_read`), never for a location that declares no
numbers. A planned number change at an integrated location is blocked at the location's
FILE:LINE (:func:`with_pstn`). A location that is no calling location yet has no connection
to read (the plan enables it first): apply reads it after the enable and fails the number
adds unsent there (``reconciler.operations.calling``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from reconciler.model import State
from reconciler.plan import Notice, NumberFacts, Plan
from reconciler.planner.calling import where

#: Connection types whose numbers the partner adds and removes by API.
MANAGED_PSTN = frozenset({"LOCAL_GATEWAY", "NON_INTEGRATED_CCP"})
Key = tuple[str, str]


def pstn_to_read(plan: Plan, live: State) -> dict[Key, tuple[str, str]]:
    """(externalId, location name) → (orgId, locationId) of each live calling location the
    plan adds numbers to or removes numbers from."""
    found: dict[Key, tuple[str, str]] = {}
    for change in plan.changes:
        facts = change.facts
        if change.kind != "number" or not isinstance(facts, NumberFacts):
            continue
        key = (change.customer, facts.location)
        location = live.locations.get(key)
        ref = location.live if location is not None and location.calling else None
        if ref is not None and ref.org_id:
            found[key] = (ref.org_id, ref.id)
    return found


def integrated(connection: str | None) -> bool:
    """A connection type whose numbers only the provider adds and removes."""
    return connection is not None and connection not in MANAGED_PSTN


def with_pstn(plan: Plan, connections: Mapping[Key, str | None], desired: State) -> Plan:
    """``plan`` with a blocked reason for each location whose planned number changes its
    PSTN connection (``connections``: as read, None when not known) makes Webex refuse."""
    blocked: set[Notice] = set()
    for key, connection in sorted(connections.items()):
        if not integrated(connection):
            continue
        ext, name = key
        message = (
            f"numbers of location '{name}' come from its PSTN provider ({connection}): Webex "
            "refuses adding or removing them by API; drop `numbers:` from the location (its "
            "users' numbers are then checked against the provider's inventory), and have the "
            f"provider assign or release them{where(desired.locations.get(key))}"
        )
        blocked.add(Notice(f"location/{ext}/{name}", message))
    if not blocked:
        return plan
    return replace(plan, blocked=tuple(sorted(set(plan.blocked) | blocked)))
