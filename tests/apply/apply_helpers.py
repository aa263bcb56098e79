"""Helpers for apply tests: a fast fake clock shared by the sandbox, the client and apply."""

from __future__ import annotations

import asyncio
import random
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from reconciler.api import Limiter, RetryPolicy, WebexClient
from reconciler.cli import Runtime
from reconciler.sandbox import SandboxConfig
from reconciler.workflow import Seams
from reconciler.workflow.connect import Connect, SandboxTarget, Target, open_client


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


def sandbox_on(clock: FakeClock, **settings: Any) -> Connect:
    """``open_client`` with every sandbox target on ``clock`` (its provisioning takes fake
    seconds; ``settings``: more ``SandboxConfig`` values): a fake target for the CLI."""

    def connect(target: Target, **options: Any) -> AbstractAsyncContextManager[WebexClient]:
        if isinstance(target, SandboxTarget) and target.config is None:
            providers: dict[str, Any] = {}
            if target.providers is not None:  # --sandbox-providers
                providers = {
                    "customer_pstn": target.providers.customer_pstn,
                    "provider_numbers": target.providers.provider_numbers,
                }
            config = SandboxConfig(
                db=target.db, clock=clock, sleep=clock.sleep, **providers, **settings
            )
            target = replace(target, config=config)
        return open_client(target, **options)

    return connect


def fake_runtime(clock: FakeClock, **settings: Any) -> Runtime:
    """The CLI's runtime on ``clock``: apply's polls and the sandbox's provisioning cost no
    real time."""
    seams = Seams(clock=clock, sleep=clock.sleep, connect=sandbox_on(clock, **settings))
    return Runtime(seams=seams)
