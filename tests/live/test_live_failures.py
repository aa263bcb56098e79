"""A failing list stops the live read with that one error, not a group of them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.api import Limiter, WebexClient
from reconciler.errors import AuthError
from reconciler.live import read_live

CUSTOMERS = [
    {
        "id": f"C{i}",
        "externalId": f"e{i}",
        "orgId": f"O{i}",
        "status": "provisioned",
        "address": {"addressLine1": "1 A", "city": "B", "country": "US"},
        "packages": [],
    }
    for i in range(6)
]


def test_live_read_raises_the_first_api_error_and_stops() -> None:
    seen: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        path = request.url.path
        if path.endswith("/wholesale/customers"):
            return httpx.Response(
                200, json={"items": CUSTOMERS if request.url.params["offset"] == "0" else []}
            )
        if path.endswith("/people") and request.url.params["orgId"] == "O0":
            return httpx.Response(403, json={"message": "missing scope people_read"})
        return httpx.Response(200, json={"items": []})

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(respond)) as http:
            client = WebexClient(http, tokens="t", limiter=Limiter(rate=None, concurrency=2))
            await read_live(client, concurrency=2)

    with pytest.raises(AuthError, match="missing scope people_read"):
        asyncio.run(go())
    # the pool stopped: not every org was read after the failure
    assert seen.count("/v1/people") < len(CUSTOMERS)
