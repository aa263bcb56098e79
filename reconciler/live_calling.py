"""Read the Webex Calling side of the live estate: calling locations, number inventory and
country configurations (the request count is in ``reconciler.live``'s formula).

Kept apart from :func:`reconciler.live.read_live`: the planner calls it for the calling
customers in scope once it needs calling facts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.api import WebexClient
from reconciler.errors import AuthError, NotFound
from reconciler.live import together
from reconciler.model import Location, State, has_calling

Json = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class CallingLive:
    """What the calling reads found: per customer (externalId) its calling locations and its
    number inventory as listed; per country code its calling configuration, ``None`` for a
    country Webex Calling does not serve (its configuration read answered 404)."""

    locations: Mapping[str, tuple[Json, ...]]
    numbers: Mapping[str, tuple[Json, ...]]
    countries: Mapping[str, Json | None]


def calling_orgs(state: State) -> dict[str, str]:
    """externalId → orgId of the live customers holding a calling package (with an org)."""
    return {
        ext: c.live.org_id
        for ext, c in sorted(state.customers.items())
        if c.live is not None and c.live.org_id and has_calling(c.packages)
    }


async def read_calling(
    client: WebexClient, orgs: Mapping[str, str], countries: Iterable[str] = ()
) -> CallingLive:
    """Calling locations and number inventory of each org in ``orgs`` (externalId → orgId;
    see :func:`calling_orgs`), one list each per org, and the configuration of each distinct
    country in ``countries`` (codes, any case), once. Concurrent, within the client's limits;
    the first failure cancels the rest and is raised."""
    codes = sorted({c.strip().upper() for c in countries if c and c.strip()})
    order = sorted(orgs)
    found = await together(
        *(client.list_calling_locations(orgs[ext]) for ext in order),
        *(client.list_numbers(orgs[ext]) for ext in order),
        *(_country(client, code) for code in codes),
    )
    n = len(order)
    return CallingLive(
        locations={ext: tuple(found[i]) for i, ext in enumerate(order)},
        numbers={ext: tuple(found[n + i]) for i, ext in enumerate(order)},
        countries={code: found[2 * n + i] for i, code in enumerate(codes)},
    )


async def read_pstn(
    client: WebexClient, targets: Mapping[tuple[str, str], tuple[str, str]]
) -> dict[tuple[str, str], str | None]:
    """The ``pstnConnectionType`` of each location in ``targets`` (key → (orgId,
    locationId); see ``reconciler.planner.pstn.pstn_to_read``), one read each, concurrent;
    None where the answer names none or the token may not read it (403: the plan cannot
    foresee that refusal, and says nothing rather than fail)."""
    order = sorted(targets)
    found = await together(*(_connection(client, *targets[key]) for key in order))
    return dict(zip(order, found, strict=True))


async def _connection(client: WebexClient, org_id: str, location_id: str) -> str | None:
    try:
        answer = await client.get_pstn_connection(location_id, org_id)
    except AuthError:
        return None
    kind = answer.get("pstnConnectionType")
    return str(kind) if kind else None


async def _country(client: WebexClient, code: str) -> Json | None:
    """A country's calling configuration; None when Webex has none for it (404: a country
    Webex Calling does not serve, which the planner blocks instead of failing the read)."""
    try:
        return await client.get_country(code)
    except NotFound:
        return None


def with_calling(state: State, calling: CallingLive) -> State:
    """The live ``state`` with each read location's ``calling`` (listed among its org's
    calling locations), ``numbers`` (its inventory numbers, sorted) and ``main_number`` (the
    one listed with ``mainNumber: true``) filled in."""
    locations: dict[tuple[str, str], Location] = {}
    for key, location in state.locations.items():
        listed = calling.locations.get(location.customer)
        if listed is None or location.live is None:
            locations[key] = location
            continue
        ids = {str(raw.get("id")) for raw in listed}
        here = [
            n
            for n in calling.numbers.get(location.customer, ())
            if n.get("phoneNumber") and (n.get("location") or {}).get("id") == location.live.id
        ]
        main = next((str(n["phoneNumber"]) for n in here if n.get("mainNumber") is True), None)
        locations[key] = dataclasses.replace(
            location,
            calling=location.live.id in ids,
            numbers=tuple(sorted(str(n["phoneNumber"]) for n in here)),
            main_number=main,
        )
    return dataclasses.replace(state, locations=locations)
