"""The adaptive rate: a 429 lowers the shared rate, quiet seconds raise it back, the configured
rate is the ceiling, and a call is never failed for rate limiting while others are answered.
Clock and sleep are injected: nothing really waits."""

from __future__ import annotations

import asyncio
import itertools
import math

import httpx
import pytest
from api_helpers import BASE, CANARY, FakeTime, Recorder, make_client, run

from reconciler.api import Limiter, RetryPolicy, WebexClient
from reconciler.errors import RateLimited


def limiter(fake: FakeTime, rate: float | None = 10.0, **kwargs: float) -> Limiter:
    return Limiter(rate=rate, concurrency=8, clock=fake.clock, sleep=fake.sleep, **kwargs)  # type: ignore[arg-type]


def test_the_configured_rate_is_where_it_starts_and_its_ceiling(fake_time: FakeTime) -> None:
    lim = limiter(fake_time)
    assert lim.current_rate == 10.0
    fake_time.now += 3600
    assert lim.current_rate == 10.0


def test_a_429_lowers_the_rate_once_per_pause(fake_time: FakeTime) -> None:
    lim = limiter(fake_time)
    lim.slow_down(1.0)
    assert lim.current_rate == pytest.approx(8.0)
    lim.slow_down(1.0)  # calls that were in flight answer 429 too: one cut for all of them
    lim.slow_down(2.0)
    assert lim.current_rate == pytest.approx(8.0)
    fake_time.now += 2.0
    lim.slow_down(1.0)  # a 429 after the pause: the new rate was still too fast
    assert lim.current_rate == pytest.approx(6.4)


def test_it_climbs_back_quickly_to_near_the_limit_then_slowly_to_the_ceiling(
    fake_time: FakeTime,
) -> None:
    lim = limiter(fake_time)
    lim.slow_down(1.0)  # limited at 10/s: back to 8/s
    fake_time.now += 1.0  # the pause: no climbing while everyone waits
    assert lim.current_rate == pytest.approx(8.0)
    fake_time.now += 0.5  # 0.2 x 10 per second up to 92 % of 10
    assert lim.current_rate == pytest.approx(9.0)
    fake_time.now += 1.0
    assert lim.current_rate == pytest.approx(9.2)
    fake_time.now += 10.0  # then 0.5 % of 10 per second
    assert lim.current_rate == pytest.approx(9.7)
    fake_time.now += 1000.0
    assert lim.current_rate == 10.0


def test_the_rate_never_falls_below_its_floor(fake_time: FakeTime) -> None:
    lim = limiter(fake_time, min_rate=0.5)
    for _ in range(40):
        lim.slow_down(1.0)
        fake_time.now += 1.0
    assert lim.current_rate == pytest.approx(0.5, abs=1e-6)


def test_without_a_rate_there_is_nothing_to_adapt(fake_time: FakeTime) -> None:
    lim = limiter(fake_time, rate=None)
    lim.slow_down(2.0)
    assert lim.current_rate is None

    async def take() -> None:
        async with lim.slot():
            pass

    run(take())
    assert fake_time.sleeps == [2.0]


def test_requests_are_spaced_at_the_lowered_rate(fake_time: FakeTime) -> None:
    lim = limiter(fake_time, rate=4.0)
    lim.slow_down(1.0)  # now 3.2/s, tokens spent, everyone waits 1 s
    stamps: list[float] = []

    async def go() -> None:
        for _ in range(4):
            async with lim.slot():
                stamps.append(fake_time.now)

    run(go())
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert stamps[0] >= 1000.0 + 1.0 + 1 / 3.2  # the budget refills from the end of the pause
    # spaced at the lowered rate, climbing back (never faster than the 4/s ceiling)
    assert all(1 / 4.0 < g <= 1 / 3.2 for g in gaps), gaps


class LimitedServer:
    """Answers 200 at most ``rate`` times per second (a token bucket of burst ``rate`` on the
    fake clock), else 429 with ``Retry-After`` rounded up to whole seconds, as Webex does."""

    def __init__(self, fake: FakeTime, rate: float) -> None:
        self.fake, self.rate = fake, rate
        self.tokens, self.stamp = rate, fake.now
        self.statuses: list[int] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        now = self.fake.now
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.statuses.append(200)
            return httpx.Response(200, json={"items": []})
        wait = math.ceil((1 - self.tokens) / self.rate)
        self.statuses.append(429)
        return httpx.Response(429, headers={"Retry-After": str(max(1, wait))})


def _apply_calls(fake: FakeTime, server: LimitedServer, calls: int, retry: RetryPolicy) -> Limiter:
    lim = limiter(fake, rate=10.0)

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
            client = WebexClient(http, base_url=BASE, tokens=CANARY, limiter=lim, retry=retry)
            await asyncio.gather(*(client.list_roles() for _ in range(calls)))

    run(go())
    return lim


def test_a_server_limit_below_the_ceiling_is_found_and_nothing_fails(fake_time: FakeTime) -> None:
    server = LimitedServer(fake_time, rate=5.0)
    started = fake_time.now
    lim = _apply_calls(fake_time, server, 400, RetryPolicy(rate_limit_attempts=3))
    answered = server.statuses.count(200)
    limited = server.statuses.count(429)
    assert answered == 400
    assert limited < 40, limited  # a fixed 10/s would see about as many 429s as answers
    assert lim.current_rate is not None
    assert lim.current_rate < 5.5
    # within 1.3 x the time the server's own limit needs for these requests
    assert fake_time.now - started < 1.3 * answered / 5.0


def test_a_call_is_not_failed_for_rate_limiting_while_others_are_answered(
    fake_time: FakeTime,
) -> None:
    tries = {"C-slow": 0}

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/C-slow"):
            tries["C-slow"] += 1
            if tries["C-slow"] <= 6:  # far more 429s than the 2 attempts allowed
                return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[-1]})

    rec = Recorder(respond)

    async def go() -> tuple[str, int]:
        async with rec.http() as http:
            client = make_client(
                http, fake_time, rate=8.0, retry=RetryPolicy(rate_limit_attempts=2)
            )

            async def worker(n: int) -> int:  # other changes, one after another
                for i in range(30):
                    await client.get_customer(f"C{n}-{i}")
                return 30

            *done, slow = await asyncio.gather(
                *(worker(n) for n in range(4)), client.get_customer("C-slow")
            )
            return str(slow["id"]), sum(done)

    assert run(go()) == ("C-slow", 120)
    assert tries["C-slow"] == 7


def test_a_call_is_failed_when_nothing_is_answered_any_more(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(429, headers={"Retry-After": "1"}))

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time, retry=RetryPolicy(rate_limit_attempts=3))
            await asyncio.gather(*(client.list_roles() for _ in range(3)))

    with pytest.raises(RateLimited, match="still limited after 3 attempt"):
        run(go())
