"""Both pagination styles, with the largest page each endpoint allows."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from api_helpers import BASE, FakeTime, Recorder, make_client, run

from reconciler.errors import ApiError


def offset_server(total: int, clamp: int) -> Recorder:
    """A wholesale list of ``total`` items that clamps ``max`` to ``clamp``."""

    def respond(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        size = min(int(request.url.params["max"]), clamp)
        items = [{"id": f"I{i}", "externalId": f"E{i}"} for i in range(total)]
        return httpx.Response(200, json={"items": items[offset : offset + size]})

    return Recorder(respond)


def list_all(rec: Recorder, fake: FakeTime, what: str) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with rec.http() as http:
            client = make_client(http, fake)
            if what == "customers":
                return await client.list_customers()
            return await client.list_subscribers()

    return run(go())  # type: ignore[no-any-return]


#: The in-flight cap of ``make_client``: pages are read up to that many at once.
WINDOW = 8


@pytest.mark.parametrize(
    ("total", "minimal"),
    [(0, 1), (1, 1), (99, 1), (100, 2), (101, 2), (250, 3), (300, 4), (10_000, 101)],
)
def test_api_subscribers_page_by_100_and_stop_on_a_short_page(
    total: int, minimal: int, fake_time: FakeTime
) -> None:
    rec = offset_server(total, clamp=100)
    items = list_all(rec, fake_time, "subscribers")
    assert [i["id"] for i in items] == [f"I{i}" for i in range(total)]
    # a window of pages read ahead costs at most window - 1 empty pages past the end
    assert minimal <= len(rec.requests) <= minimal + WINDOW - 1
    if minimal <= 2:
        assert len(rec.requests) == minimal  # a short list costs nothing extra
    assert {r.url.params["max"] for r in rec.requests} == {"100"}
    offsets = sorted(int(r.url.params["offset"]) for r in rec.requests)
    assert offsets == [100 * i for i in range(len(rec.requests))]


@pytest.mark.parametrize(
    ("total", "clamp", "minimal"),
    [
        (0, 100, 1),
        (1, 100, 2),  # short first page: the end or a clamp? one more request settles it
        (99, 100, 2),
        (100, 100, 2),
        (250, 100, 3),
        (300, 100, 4),
        (2500, 1000, 3),
        (2000, 1000, 3),
        (999, 1000, 2),
        (5000, 100, 51),
    ],
)
def test_api_customers_list_survives_a_silent_clamp(
    total: int, clamp: int, minimal: int, fake_time: FakeTime
) -> None:
    rec = offset_server(total, clamp=clamp)
    items = list_all(rec, fake_time, "customers")
    assert [i["id"] for i in items] == [f"I{i}" for i in range(total)]
    assert minimal <= len(rec.requests) <= minimal + WINDOW - 1
    if minimal <= 2:
        assert len(rec.requests) == minimal
    assert rec.requests[0].url.params["max"] == "1000"


def test_api_long_lists_are_read_several_pages_at_a_time(fake_time: FakeTime) -> None:
    inner = offset_server(3000, clamp=100).respond
    flight = {"now": 0, "most": 0}

    async def respond(request: httpx.Request) -> httpx.Response:
        flight["now"] += 1
        flight["most"] = max(flight["most"], flight["now"])
        await asyncio.sleep(0.001)
        flight["now"] -= 1
        return inner(request)  # type: ignore[return-value]

    rec = Recorder(respond)
    items = list_all(rec, fake_time, "subscribers")
    assert len(items) == 3000
    assert flight["most"] == WINDOW  # never more than the in-flight cap


@pytest.mark.parametrize("what", ["customers", "subscribers"])
def test_api_a_server_ignoring_offset_is_an_error_naming_the_request(
    what: str, fake_time: FakeTime
) -> None:
    page = [{"id": f"I{i}"} for i in range(100)]
    rec = Recorder(lambda r: httpx.Response(200, json={"items": page}))
    with pytest.raises(ApiError, match=r"repeats an item already read \(I0\)") as caught:
        list_all(rec, fake_time, what)
    assert "offset=100" in str(caught.value)
    assert f"/wholesale/{what}" in str(caught.value)
    assert len(rec.requests) <= 3


def test_api_a_list_that_never_ends_is_an_error(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"items": [{"id": f"I{offset + i}"} for i in range(100)]})

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time)
            client.max_list_items = 5_000
            await client.list_subscribers()

    with pytest.raises(ApiError, match="did not end within 5,000 items"):
        run(go())
    assert len(rec.requests) <= 5_000 // 100 + WINDOW


def test_api_items_after_a_short_page_are_an_error(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        size = 50 if offset == 200 else 100  # a short page in the middle, then more
        return httpx.Response(200, json={"items": [{"id": f"I{offset + i}"} for i in range(size)]})

    rec = Recorder(respond)
    with pytest.raises(ApiError, match="after the end of the list has items"):
        list_all(rec, fake_time, "subscribers")


def test_api_customer_lookup_by_external_id_is_one_request(fake_time: FakeTime) -> None:
    rec = Recorder(
        lambda r: httpx.Response(200, json={"items": [{"id": "C9", "externalId": "acme"}]})
    )

    async def go() -> list[dict[str, Any]]:
        async with rec.http() as http:
            return await make_client(http, fake_time).list_customers(external_id="acme")

    assert run(go()) == [{"id": "C9", "externalId": "acme"}]
    assert len(rec.requests) == 1
    assert rec.requests[0].url.params["externalId"] == "acme"


def link_server(total: int, page: int, *, stray_max_null: bool = False, relative: bool = False):
    def respond(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("after", "0"))
        size = min(int(request.url.params["max"]), page)
        items = [{"id": f"P{i}"} for i in range(start, min(total, start + size))]
        headers = {}
        if start + size < total:
            max_value = "null" if stray_max_null else str(size)
            path = "/v1/people" if relative else f"{BASE}/people"
            link = f"{path}?orgId=ORG&callingData=true&max={max_value}&after={start + size}"
            headers["Link"] = f'<{link}>; rel="next"'
        if stray_max_null and request.url.params["max"] == "null":
            return httpx.Response(400, json={"message": "max must be a number"})
        return httpx.Response(200, json={"items": items}, headers=headers)

    return Recorder(respond)


@pytest.mark.parametrize("stray_max_null", [False, True])
@pytest.mark.parametrize("relative", [False, True])
def test_api_people_follow_next_links_as_sent(
    stray_max_null: bool, relative: bool, fake_time: FakeTime
) -> None:
    rec = link_server(250, 100, stray_max_null=stray_max_null, relative=relative)

    async def go() -> list[dict[str, Any]]:
        async with rec.http() as http:
            return await make_client(http, fake_time).list_people("ORG")

    people = run(go())
    assert [p["id"] for p in people] == [f"P{i}" for i in range(250)]
    assert len(rec.requests) == 3
    first = rec.requests[0].url.params
    assert (first["orgId"], first["callingData"], first["max"]) == ("ORG", "true", "100")
    # later requests are the next link as sent (no parameter re-added), max repaired
    for request in rec.requests[1:]:
        assert request.url.params["max"] == "100"
        assert request.url.params.get_list("orgId") == ["ORG"]


def test_api_locations_ask_for_large_pages_and_filter_names_exactly(
    fake_time: FakeTime,
) -> None:
    rows = [{"id": "L1", "name": "Main"}, {"id": "L2", "name": "Main Annex"}]
    rec = Recorder(lambda r: httpx.Response(200, json={"items": rows}))

    async def go() -> list[dict[str, Any]]:
        async with rec.http() as http:
            return await make_client(http, fake_time).list_locations("ORG", name="Main")

    assert run(go()) == [{"id": "L1", "name": "Main"}]
    assert rec.requests[0].url.params["max"] == "1000"
    assert rec.requests[0].url.params["name"] == "Main"


def test_api_refuses_a_next_link_to_another_host(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        link = '<https://evil.example.com/v1/people?after=1>; rel="next"'
        return httpx.Response(200, json={"items": [{"id": "P0"}]}, headers={"Link": link})

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).list_people("ORG")

    with pytest.raises(ApiError, match="outside"):
        run(go())
    assert len(rec.requests) == 1


def test_api_list_without_items_array_is_an_error(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"items": {"not": "a list"}}))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).list_roles()

    with pytest.raises(ApiError, match="items"):
        run(go())


def test_api_a_next_link_back_to_a_page_already_read_is_an_error(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("after", "0"))
        link = f"<{BASE}/people?orgId=ORG&callingData=true&max=100&after=1>"  # itself
        return httpx.Response(
            200, json={"items": [{"id": f"P{after}"}]}, headers={"Link": f'{link}; rel="next"'}
        )

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).list_people("ORG")

    with pytest.raises(ApiError, match="leads back to a page already read") as caught:
        run(go())
    assert "after=1" in str(caught.value)
    assert len(rec.requests) == 2


def test_api_a_link_list_repeating_items_is_an_error(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("after", "0"))
        link = f'<{BASE}/roles?max=100&after={after + 1}>; rel="next"'
        return httpx.Response(200, json={"items": [{"id": "R1"}]}, headers={"Link": link})

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).list_roles()

    with pytest.raises(ApiError, match=r"repeats an item already read \(R1\)"):
        run(go())
    assert len(rec.requests) == 2


def test_api_keep_maps_each_item_as_its_page_arrives(fake_time: FakeTime) -> None:
    rec = offset_server(250, clamp=100)

    async def go() -> list[dict[str, Any]]:
        async with rec.http() as http:
            client = make_client(http, fake_time)
            return await client.list_subscribers(keep=lambda item: {"id": item["id"]})

    assert run(go()) == [{"id": f"I{i}"} for i in range(250)]
    repeating = Recorder(lambda r: httpx.Response(200, json={"items": [{"id": "I0"}] * 100}))

    async def again() -> list[dict[str, Any]]:
        async with repeating.http() as http:
            return await make_client(http, fake_time).list_subscribers(keep=dict)

    with pytest.raises(ApiError, match="repeats an item"):
        run(again())
