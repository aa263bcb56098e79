"""The calling reads: one calling-locations list and one inventory list per calling org, one
country configuration per distinct country; counted against the formula in ``live.py``."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_client import sandbox_admin, sandbox_stats
from live_estate import calling_estate, calling_read_requests, sandbox

from reconciler.api import WebexClient
from reconciler.errors import ApiError
from reconciler.live import read_live
from reconciler.live_calling import CallingLive, calling_orgs, read_calling, with_calling
from reconciler.workflow.connect import open_client


async def _read(
    seed: dict[str, Any], countries: list[str], **config: Any
) -> tuple[Any, CallingLive, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sandbox.sqlite")
        async with open_client(sandbox(db, **config), read_only=False) as admin:
            await sandbox_admin(admin, "POST", "/seed", seed)
        async with open_client(sandbox(db, **config), read_only=True) as reader:
            state = await read_live(reader)
            await sandbox_admin(reader, "POST", "/stats/reset")
            calling = await read_calling(reader, calling_orgs(state), countries)
            return with_calling(state, calling), calling, await sandbox_stats(reader)


def read(seed: dict[str, Any], countries: list[str], **config: Any) -> Any:
    return asyncio.run(_read(seed, countries, **config))


@pytest.mark.parametrize(
    ("customers", "locations", "numbers", "numbers_page"),
    [(0, 0, 0, 2000), (1, 1, 0, 2000), (3, 2, 5, 2000), (2, 3, 4, 5), (4, 1, 7, 7)],
)
def test_calling_reads_cost_the_formula(
    customers: int, locations: int, numbers: int, numbers_page: int
) -> None:
    seed = calling_estate(customers, locations, numbers)
    state, calling, stats = read(
        seed, ["us", "US", "de", " "], numbers_page=(numbers_page, numbers_page)
    )
    assert stats["total"] == calling_read_requests(
        customers, locations, numbers, 2, numbers_page=numbers_page
    )
    # never one GET per object: only the lists and the country configurations
    routes = set(stats["byRoute"])
    assert routes <= {
        "GET /v1/telephony/config/locations",
        "GET /v1/telephony/config/numbers",
        "GET /v1/telephony/config/countries/{countryCode}",
    }
    assert set(calling.countries) == {"DE", "US"}
    assert calling.countries["DE"]["stateRequired"] is False
    assert "meet-only" not in calling.locations  # not a calling customer
    assert len(calling.locations) == customers
    for c in range(customers):
        ext = f"call-{c:05d}"
        assert len(calling.numbers[ext]) == locations * numbers
        plain = state.locations[ext, "Plain"]
        assert (plain.calling, plain.numbers) == (False, ())
        for n in range(locations):
            site = state.locations[ext, f"Site {n}"]
            assert site.calling is True
            assert site.numbers is not None
            assert len(site.numbers) == numbers
    assert state.locations["meet-only", "Office"].calling is None  # not read


def test_a_failing_calling_read_is_raised() -> None:
    async def go() -> None:
        def respond(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/numbers"):
                body = {"message": "no", "errors": [{"description": "no"}], "trackingId": "t"}
                return httpx.Response(403, json=body)
            return httpx.Response(200, json={"locations": []})

        async with httpx.AsyncClient(transport=httpx.MockTransport(respond)) as http:
            await read_calling(WebexClient(http, tokens="T"), {"a": "ORG"})

    with pytest.raises(ApiError) as failed:
        asyncio.run(go())
    assert failed.value.status == 403
