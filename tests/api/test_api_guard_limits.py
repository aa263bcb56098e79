"""The read-only guard refuses writes before the transport is touched; the limiter holds the
rate and the in-flight cap across concurrent calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from api_helpers import FakeTime, Recorder, make_client, run

from reconciler.api import Limiter, WebexClient
from reconciler.api.limits import parse_retry_after
from reconciler.errors import ReadOnlyViolation

WRITES: list[tuple[str, Callable[[WebexClient], Awaitable[Any]]]] = [
    ("create_customer", lambda c: c.create_customer({"externalId": "x"})),
    ("update_customer", lambda c: c.update_customer("C1", {"packages": []})),
    ("delete_customer", lambda c: c.delete_customer("C1")),
    ("create_subscriber", lambda c: c.create_subscriber({"email": "a@b.c"})),
    ("update_subscriber", lambda c: c.update_subscriber("S1", {"packages": []})),
    ("delete_subscriber", lambda c: c.delete_subscriber("S1")),
    ("create_location", lambda c: c.create_location("O", {"name": "x"})),
    ("update_location", lambda c: c.update_location("L", "O", {"name": "x"})),
    ("delete_location", lambda c: c.delete_location("L", "O")),
    ("update_person", lambda c: c.update_person("P", {"displayName": "x"})),
]


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the transport must not be called")


@pytest.mark.parametrize(("name", "call"), WRITES, ids=[w[0] for w in WRITES])
def test_api_read_only_refuses_writes_before_sending(
    name: str, call: Callable[[WebexClient], Awaitable[Any]], fake_time: FakeTime
) -> None:
    rec = Recorder(never_called)

    async def go() -> None:
        async with rec.http() as http:
            await call(make_client(http, fake_time, read_only=True))

    with pytest.raises(ReadOnlyViolation, match="read-only") as info:
        run(go())
    assert rec.requests == []
    assert info.value.status is None


def test_api_read_only_allows_reads_and_prechecks(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"items": [], "message": "success"}))

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time, read_only=True)
            await client.list_customers()
            await client.list_people("O")
            await client.precheck_customer({"address": {}})
            await client.precheck_subscriber({"email": "a@b.c"})

    run(go())
    assert [(r.method, r.url.path) for r in rec.requests] == [
        ("GET", "/v1/wholesale/customers"),
        ("GET", "/v1/people"),
        ("POST", "/v1/wholesale/customers/validate"),
        ("POST", "/v1/wholesale/subscribers/validate"),
    ]


def test_api_read_only_guard_checks_the_exact_path(fake_time: FakeTime) -> None:
    rec = Recorder(never_called)

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time, read_only=True)
            await client.session.request("POST", "/wholesale/customers/validate/../x")

    with pytest.raises(ReadOnlyViolation):
        run(go())
    assert rec.requests == []


def test_api_token_bucket_spaces_requests(fake_time: FakeTime) -> None:
    stamps: list[float] = []

    def respond(request: httpx.Request) -> httpx.Response:
        stamps.append(fake_time.now)
        return httpx.Response(200, json={"items": []})

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time, rate=4.0, concurrency=4)
            await asyncio.gather(*(client.list_roles() for _ in range(12)))

    run(go())
    assert len(stamps) == 12
    elapsed = stamps[-1] - stamps[0]
    # burst of 4 at once, then one every 0.25 s
    assert elapsed == pytest.approx((12 - 4) / 4.0)
    for window_start in stamps:
        in_second = [t for t in stamps if window_start <= t < window_start + 1.0]
        assert len(in_second) <= 4 + 4


def test_api_in_flight_cap_holds_across_concurrent_calls(fake_time: FakeTime) -> None:
    active = {"now": 0, "peak": 0}

    async def respond(request: httpx.Request) -> httpx.Response:
        active["now"] += 1
        active["peak"] = max(active["peak"], active["now"])
        for _ in range(3):
            await asyncio.sleep(0)
        active["now"] -= 1
        return httpx.Response(200, json={"items": []})

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time, concurrency=3)
            await asyncio.gather(*(client.list_roles() for _ in range(20)))

    run(go())
    assert len(rec.requests) == 20
    assert active["peak"] == 3


def test_api_limiter_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Limiter(concurrency=0)
    with pytest.raises(ValueError, match="rate"):
        Limiter(rate=-1)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("soon", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
    ],
)
def test_api_retry_after_parsing(value: str | None, seconds: float | None) -> None:
    now = 1445412480.0  # 2015-10-21 07:28:00 UTC
    assert parse_retry_after(value, now=now) == seconds
