"""Helpers for apply tests: a fast fake clock shared by the sandbox, the client and apply."""

from __future__ import annotations

import asyncio
import random

from reconciler.api import Limiter, RetryPolicy


class FakeClock:
    """Seconds that pass only when someone sleeps: provisioning, backoff and Retry-After
    waits cost no real time."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.now += seconds
            self.slept += seconds
        await asyncio.sleep(0)


def fast_limits(clock: FakeClock, seed: int = 0) -> tuple[Limiter, RetryPolicy]:
    rand = random.Random(seed).random
    limiter = Limiter(rate=None, concurrency=8, clock=clock, sleep=clock.sleep, rand=rand)
    return limiter, RetryPolicy(attempts=6, rate_limit_attempts=12)
