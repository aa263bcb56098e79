"""Every limit on outgoing requests, in one place: rate, concurrency, retry timing.

One :class:`Limiter` is shared by all concurrent calls of a client:

- a token bucket that every attempt passes, retries included, so retries spend the same budget
  as first tries. Its rate adapts: ``rate`` (``maxRequestsPerSecond``) is the ceiling; a 429
  lowers the current rate (once per ``Retry-After``, however many calls saw it) and every second
  without one raises it again, quickly back to near where the last 429 came and slowly beyond,
  so the client settles just under a limit Webex does not publish and finds it again if it
  rises;
- an in-flight cap (``concurrency``) held only while a request is on the wire;
- a shared pause: a 429/423 with ``Retry-After`` stops *every* caller until it has passed,
  because Partner Hub's quota is per partner, not per request;
- a count of answers that were not a 429 (``answered``): a call limited many times is not failed
  while other calls keep getting answers, because then it is only waiting its turn.

:class:`RetryPolicy` holds the retry numbers and computes the waits (full-jitter exponential
backoff, ``Retry-After`` parsing and its cap). Clock, sleep and randomness are injected, so tests
never really sleep.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry.

    ``attempts`` bounds tries for 5xx and transport errors (first try included);
    ``rate_limit_attempts`` bounds tries for 423, and for 429 only while no other call is
    answered meanwhile (see ``Limiter.answered``). Backoff before retry *n* (1-based) is
    uniform in ``[0, min(backoff_cap, backoff_base * 2**(n-1))]`` ("full jitter").
    A ``Retry-After`` above ``retry_after_cap`` is not waited for: the call fails with
    ``RateLimited`` at once. Without ``Retry-After``, a 429/423 waits ``default_retry_after``.
    """

    attempts: int = 5
    rate_limit_attempts: int = 8
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 60.0
    default_retry_after: float = 5.0

    def backoff(self, retry: int, rand: Callable[[], float]) -> float:
        """Seconds to wait before retry number ``retry`` (1-based), jittered."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, retry - 1))
        return float(ceiling * rand())


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


@dataclass(eq=False)
class Limiter:
    """Adaptive token bucket + in-flight cap + shared pause, for all calls of one client.

    ``rate`` is the ceiling (``None`` or 0: no bucket, and nothing to adapt);
    ``concurrency`` must be at least 1. On a 429 (:meth:`slow_down`) the current rate drops to
    ``decrease`` of itself (not below ``min_rate``); it then climbs by ``recovery`` of the rate
    the last 429 came at per second until ``approach`` of that rate, and by ``probe`` of it per
    second beyond, up to the ceiling.
    """

    rate: float | None = 10.0
    concurrency: int = 8
    burst: float | None = None
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    rand: Callable[[], float] = random.random
    decrease: float = 0.8
    recovery: float = 0.2
    approach: float = 0.92
    probe: float = 0.005
    min_rate: float = 0.2
    #: Answers other than 429 seen by any call (see :meth:`note_answer`).
    answered: int = field(init=False, default=0)
    _current: float = field(init=False, default=0.0)
    _limit_seen: float | None = field(init=False, default=None)
    _adapted: float | None = field(init=False, default=None)
    _tokens: float = field(init=False, default=0.0)
    _stamp: float | None = field(init=False, default=None)
    _paused_until: float = field(init=False, default=0.0)
    _lock: asyncio.Lock | None = field(init=False, default=None)
    _slots: asyncio.Semaphore | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.rate is not None and self.rate < 0:
            raise ValueError("rate must not be negative")
        if not self.rate:
            self.rate = None
        self._current = self.rate or 0.0
        capacity = self.capacity
        self._tokens = capacity

    @property
    def current_rate(self) -> float | None:
        """The rate requests are let through at now (``None``: no bucket)."""
        if self.rate is None:
            return None
        self._adapt(self.clock())
        return self._current

    @property
    def capacity(self) -> float:
        if self.rate is None:
            return 0.0
        return max(1.0, self.burst if self.burst is not None else self._current)

    def _adapt(self, now: float) -> None:
        """Climb back toward the ceiling for the time since the last look (none while paused)."""
        if self.rate is None:
            return
        since = max(self._adapted or now, self._paused_until)
        self._adapted = max(now, since)
        elapsed = now - since
        if elapsed <= 0 or self._current >= self.rate:
            return
        seen = self._limit_seen or self.rate
        knee = self.approach * seen
        if self._current < knee:
            self._current = min(knee, self._current + self.recovery * seen * elapsed)
            return
        self._current = min(self.rate, self._current + self.probe * seen * elapsed)

    def slow_down(self, seconds: float) -> None:
        """A 429: everyone waits ``seconds``; the rate drops, once per such wait.

        Calls in flight when the limit was hit answer 429 together: only the first lowers the
        rate; the others arrive while the pause it started still runs.
        """
        now = self.clock()
        if self.rate is not None and now >= self._paused_until:
            self._adapt(now)
            self._limit_seen = self._current
            self._current = max(min(self.min_rate, self.rate), self._current * self.decrease)
            self._tokens = 0.0  # the server says the budget is spent
        self.pause_for(seconds)
        if self.rate is not None:
            self._stamp = self._paused_until  # and it refills from the end of the pause

    def note_answer(self, status: int) -> None:
        """Count an answer that was not a 429: the server is serving, progress is being made."""
        if status != 429:
            self.answered += 1

    def _primitives(self) -> tuple[asyncio.Lock, asyncio.Semaphore]:
        # Created lazily so a Limiter can be built outside a running event loop.
        if self._lock is None or self._slots is None:
            self._lock = asyncio.Lock()
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._lock, self._slots

    def pause_for(self, seconds: float) -> None:
        """Make every caller wait until ``seconds`` from now (e.g. after a 429)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def _take_token(self) -> None:
        lock, _ = self._primitives()
        async with lock:  # FIFO: callers take tokens in arrival order
            while True:
                now = self.clock()
                if now < self._paused_until:
                    await self.sleep(self._paused_until - now)
                    continue
                if self.rate is None:
                    return
                self._adapt(now)
                rate = self._current
                if self._stamp is not None:
                    elapsed = max(0.0, now - self._stamp)
                    self._tokens = min(self.capacity, self._tokens + elapsed * rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await self.sleep((1.0 - self._tokens) / rate)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a token and an in-flight slot; hold the slot for the request only."""
        _, slots = self._primitives()
        async with slots:
            # The token is taken once a slot is free, so the rate holds at send time.
            await self._take_token()
            yield
