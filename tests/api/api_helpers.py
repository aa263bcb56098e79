"""Helpers for the API client tests: a fake clock, a canary token, MockTransport clients."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from reconciler.api import Limiter, RetryPolicy, WebexClient

#: Used as the access token throughout; must never show up in output, logs or errors.
CANARY = "CANARY-7f3c1e-token-never-printed"

BASE = "https://webexapis.com/v1"

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class FakeTime:
    """Clock and sleep for the limiter: sleeping advances the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def make_client(
    http: httpx.AsyncClient,
    fake: FakeTime,
    *,
    read_only: bool = False,
    tokens: Any = CANARY,
    retry: RetryPolicy | None = None,
    rate: float | None = None,
    concurrency: int = 8,
    rand: Callable[[], float] = lambda: 1.0,
) -> WebexClient:
    limiter = Limiter(
        rate=rate, concurrency=concurrency, clock=fake.clock, sleep=fake.sleep, rand=rand
    )
    return WebexClient(
        http, base_url=BASE, tokens=tokens, read_only=read_only, limiter=limiter, retry=retry
    )


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


class Recorder:
    """A MockTransport handler that records requests and answers from a function."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result = self.respond(request)
        if isinstance(result, Awaitable):
            result = await result
        return result

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def error_body(message: str, *codes: int, tracking: str = "TRK_1") -> dict[str, Any]:
    return {
        "message": message,
        "errors": [{"errorCode": c, "description": f"description {c}"} for c in codes],
        "trackingId": tracking,
    }
