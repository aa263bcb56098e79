"""Every limit on outgoing requests, in one place: rate, concurrency, retry timing.

One :class:`Limiter` is shared by all concurrent calls of a client:

- a token bucket (``rate`` requests per second, ``burst`` at most) that every attempt passes,
  retries included, so retries spend the same budget as first tries;
- an in-flight cap (``concurrency``) held only while a request is on the wire;
- a shared pause: a 429/423 with ``Retry-After`` stops *every* caller until it has passed,
  because Partner Hub's quota is per partner, not per request.

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
    ``rate_limit_attempts`` bounds tries for 429/423. Backoff before retry *n* (1-based) is
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
    """Token bucket + in-flight cap + shared pause, for all calls of one client.

    ``rate`` of ``None`` (or 0) disables the bucket; ``concurrency`` must be at least 1.
    """

    rate: float | None = 10.0
    concurrency: int = 8
    burst: float | None = None
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    rand: Callable[[], float] = random.random
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
        capacity = self.capacity
        self._tokens = capacity

    @property
    def capacity(self) -> float:
        if self.rate is None:
            return 0.0
        return max(1.0, self.burst if self.burst is not None else self.rate)

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
                if self._stamp is not None:
                    elapsed = max(0.0, now - self._stamp)
                    self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await self.sleep((1.0 - self._tokens) / self.rate)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a token and an in-flight slot; hold the slot for the request only."""
        _, slots = self._primitives()
        async with slots:
            # The token is taken once a slot is free, so the rate holds at send time.
            await self._take_token()
            yield
