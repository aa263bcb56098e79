"""Retry rules: Retry-After for 429/423, capped backoff for 5xx and transport errors on
idempotent calls, and never a replayed POST whose outcome is unknown."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from api_helpers import FakeTime, Recorder, error_body, make_client, run

from reconciler.api import RetryPolicy
from reconciler.errors import (
    ApiError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TransportFailed,
)

CUSTOMER = {"externalId": "acme", "packages": ["webex_meetings"]}
OK_LIST = {"items": []}


def sequence(*responses: httpx.Response | Exception) -> Recorder:
    """Answers in order; an exception instance is raised as a transport error."""
    queue: Iterator[httpx.Response | Exception] = iter(responses)

    def respond(request: httpx.Request) -> httpx.Response:
        item = next(queue)
        if isinstance(item, Exception):
            raise item
        return item

    return Recorder(respond)


def test_api_429_waits_retry_after_then_succeeds(fake_time: FakeTime) -> None:
    rec = sequence(
        httpx.Response(429, headers={"Retry-After": "7"}, json=error_body("slow down")),
        httpx.Response(200, json=OK_LIST),
    )

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).list_roles()

    run(go())
    assert len(rec.requests) == 2
    assert fake_time.sleeps == [7.0]


def test_api_429_pauses_every_concurrent_caller(fake_time: FakeTime) -> None:
    state = {"limited": False}

    async def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/S0") and not state["limited"]:
            state["limited"] = True
            return httpx.Response(429, headers={"Retry-After": "10"})
        return httpx.Response(200, json={"id": "x", "at": fake_time.now})

    rec = Recorder(respond)

    async def go() -> list[float]:
        async with rec.http() as http:
            client = make_client(http, fake_time, concurrency=1)
            first = await client.get_subscriber("S0")
            rest = await asyncio.gather(*(client.get_subscriber(f"S{i}") for i in (1, 2, 3)))
            return [first["at"], *(r["at"] for r in rest)]

    stamps = run(go())
    assert all(t >= 1010.0 for t in stamps)


def test_api_retry_after_over_the_cap_fails_at_once(fake_time: FakeTime) -> None:
    rec = sequence(httpx.Response(429, headers={"Retry-After": "3600"}, json=error_body("later")))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).list_roles()

    with pytest.raises(RateLimited, match="Retry-After of 3600 s exceeds the cap of 60 s"):
        run(go())
    assert fake_time.sleeps == []
    assert len(rec.requests) == 1


def test_api_rate_limit_attempts_are_bounded(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(429, headers={"Retry-After": "1"}))

    async def go() -> None:
        async with rec.http() as http:
            retry = RetryPolicy(rate_limit_attempts=4)
            await make_client(http, fake_time, retry=retry).list_roles()

    with pytest.raises(RateLimited, match="after 4 attempt"):
        run(go())
    assert len(rec.requests) == 4


def test_api_423_without_retry_after_waits_the_default(fake_time: FakeTime) -> None:
    rec = sequence(httpx.Response(423), httpx.Response(202))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).update_customer("C1", CUSTOMER)

    run(go())
    assert fake_time.sleeps == [5.0]


def test_api_post_429_is_retried_because_nothing_happened(fake_time: FakeTime) -> None:
    url = "https://webexapis.com/v1/wholesale/customers/C1"
    rec = sequence(
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(202, headers={"Location": url}),
    )

    async def go() -> str:
        async with rec.http() as http:
            return await make_client(http, fake_time).create_customer(CUSTOMER)

    assert run(go()) == "C1"
    assert len(rec.requests) == 2


def test_api_get_5xx_backs_off_exponentially_up_to_the_cap(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(503, json=error_body("overloaded")))
    retry = RetryPolicy(attempts=8, backoff_base=1.0, backoff_cap=10.0)

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time, retry=retry).get_customer("C1")

    with pytest.raises(ServerError, match="after 8 attempt") as info:
        run(go())
    assert info.value.status == 503
    assert len(rec.requests) == 8
    # rand() == 1.0: the ceilings themselves; doubling, then capped
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_api_backoff_is_jittered(fake_time: FakeTime) -> None:
    rec = sequence(httpx.Response(500), httpx.Response(500), httpx.Response(200, json={}))
    draws = iter([0.25, 0.5])

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time, rand=lambda: next(draws))
            await client.get_customer("C1")

    run(go())
    assert fake_time.sleeps == [0.5 * 0.25, 1.0 * 0.5]


def test_api_5xx_honours_retry_after_when_longer_than_backoff(fake_time: FakeTime) -> None:
    rec = sequence(httpx.Response(503, headers={"Retry-After": "9"}), httpx.Response(204))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).delete_subscriber("S1")

    run(go())
    assert fake_time.sleeps == [9.0]


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("t"), httpx.RemoteProtocolError("dropped"), httpx.ReadError("reset")],
)
def test_api_put_transport_errors_are_retried(error: Exception, fake_time: FakeTime) -> None:
    rec = sequence(error, httpx.Response(204))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).update_location("L1", "ORG", {"name": "x"})

    run(go())
    assert len(rec.requests) == 2


def test_api_transport_errors_past_the_budget(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time, retry=RetryPolicy(attempts=3)).list_roles()

    with pytest.raises(TransportFailed, match="ConnectError after 3 attempt"):
        run(go())
    assert len(rec.requests) == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_api_post_5xx_is_outcome_unknown_and_never_replayed(
    status: int, fake_time: FakeTime
) -> None:
    rec = Recorder(lambda r: httpx.Response(status, json=error_body("boom", tracking="T5")))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).create_customer(CUSTOMER)

    with pytest.raises(OutcomeUnknown) as info:
        run(go())
    assert len(rec.requests) == 1
    assert info.value.status == status
    assert info.value.tracking_id == "T5"
    assert "look the object up by its key" in str(info.value)


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("t"), httpx.RemoteProtocolError("dropped"), httpx.WriteError("w")],
)
def test_api_post_lost_after_sending_is_outcome_unknown(
    error: Exception, fake_time: FakeTime
) -> None:
    rec = sequence(error, httpx.Response(200, json={"id": "S1"}))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).create_subscriber({"email": "a@b.c"})

    with pytest.raises(OutcomeUnknown, match="outcome is unknown"):
        run(go())
    assert len(rec.requests) == 1


@pytest.mark.parametrize("error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("t")])
def test_api_post_never_sent_is_retried(error: Exception, fake_time: FakeTime) -> None:
    rec = sequence(error, httpx.Response(201, json={"id": "L7"}))

    async def go() -> str:
        async with rec.http() as http:
            return await make_client(http, fake_time).create_location("ORG", {"name": "x"})

    assert run(go()) == "L7"
    assert len(rec.requests) == 2


def test_api_precheck_post_is_retried_like_a_read(fake_time: FakeTime) -> None:
    rec = sequence(httpx.Response(502), httpx.Response(200, json={"message": "success"}))

    async def go() -> dict[str, object]:
        async with rec.http() as http:
            return await make_client(http, fake_time).precheck_customer(CUSTOMER)

    assert run(go()) == {"message": "success"}
    assert len(rec.requests) == 2


def test_api_4xx_is_not_retried(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(400, json=error_body("bad")))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).update_customer("C1", CUSTOMER)

    with pytest.raises(ApiError):
        run(go())
    assert len(rec.requests) == 1
    assert fake_time.sleeps == []
