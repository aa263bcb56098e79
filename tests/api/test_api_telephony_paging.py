"""The telephony lists (``locations``, ``phoneNumbers``) page with the same guards as the
others: a next link back to a page already read, a repeated location, a list that never
ends and an answer without its list are errors naming the request, never a loop."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_helpers import BASE, FakeTime, Recorder, make_client, run

from reconciler.errors import ApiError

TEL = f"{BASE}/telephony/config"


def list_what(rec: Recorder, fake: FakeTime, what: str, limit: int | None = None) -> Any:
    async def go() -> list[dict[str, Any]]:
        async with rec.http() as http:
            client = make_client(http, fake)
            if limit is not None:
                client.max_list_items = limit
            if what == "numbers":
                return await client.list_numbers("ORG")
            return await client.list_calling_locations("ORG")

    return run(go())


def number(i: int) -> dict[str, Any]:
    return {"phoneNumber": f"+1512555{i:04d}", "state": "ACTIVE"}


@pytest.mark.parametrize(("what", "key"), [("numbers", "phoneNumbers"), ("locations", "locations")])
def test_a_telephony_next_link_back_to_a_page_already_read_is_an_error(
    what: str, key: str, fake_time: FakeTime
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("start", "0"))
        item = number(start) if what == "numbers" else {"id": f"L{start}", "name": f"n{start}"}
        link = f'<{TEL}/{what}?orgId=ORG&max=null&start=1>; rel="next"'  # itself, after page 1
        return httpx.Response(200, json={key: [item]}, headers={"Link": link})

    rec = Recorder(respond)
    with pytest.raises(ApiError, match="leads back to a page already read") as caught:
        list_what(rec, fake_time, what)
    assert f"/telephony/config/{what}" in str(caught.value)
    assert "start=1" in str(caught.value)
    assert len(rec.requests) == 2


def test_an_endless_numbers_list_is_an_error_though_numbers_have_no_id(
    fake_time: FakeTime,
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("start", "0"))
        nxt = request.url.copy_set_param("start", str(start + 100))
        # the same numbers every page: without ids only the size check can stop this
        return httpx.Response(
            200,
            json={"phoneNumbers": [number(i) for i in range(100)]},
            headers={"Link": f'<{nxt}>; rel="next"'},
        )

    rec = Recorder(respond)
    with pytest.raises(ApiError, match="did not end within 1,000 items") as caught:
        list_what(rec, fake_time, "numbers", limit=1_000)
    assert "/telephony/config/numbers" in str(caught.value)
    assert len(rec.requests) == 11


def test_a_calling_locations_list_repeating_a_location_is_an_error(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("start", "0"))
        nxt = request.url.copy_set_param("start", str(start + 1))
        return httpx.Response(
            200,
            json={"locations": [{"id": "L1", "name": "HQ"}]},
            headers={"Link": f'<{nxt}>; rel="next"'},
        )

    rec = Recorder(respond)
    with pytest.raises(ApiError, match=r"repeats an item already read \(L1\)"):
        list_what(rec, fake_time, "locations")
    assert len(rec.requests) == 2


@pytest.mark.parametrize(("what", "key"), [("numbers", "phoneNumbers"), ("locations", "locations")])
def test_a_telephony_answer_without_its_list_is_an_error(
    what: str, key: str, fake_time: FakeTime
) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"items": []}))
    with pytest.raises(ApiError, match=f"list response without a {key} array"):
        list_what(rec, fake_time, what)
