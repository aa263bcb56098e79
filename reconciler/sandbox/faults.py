"""The ASGI layer in front of the routes: tracking IDs, stats, and the seeded faults.

Order for ``/v1`` requests: rate limit (429) → latency → injected 5xx → the route → for writes,
maybe drop the connection after the write is committed. ``/_sandbox`` passes straight through.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from typing import Any

from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.admin import Stats
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.errors import ConnectionDropped

WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


class TokenBucket:
    """``rate`` requests per second with a burst of ``rate`` (at least 1), on an injected clock."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = now

    def take(self, now: float) -> float:
        """0 when the request may pass, else the seconds until it could."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class Faults:
    """Wraps the Starlette app; counts every ``/v1`` request in ``stats``."""

    def __init__(self, app: ASGIApp, cfg: SandboxConfig, stats: Stats) -> None:
        self.app = app
        self.cfg = cfg
        self.stats = stats
        self.rng = random.Random(f"{cfg.seed}/faults")  # noqa: S311 — reproducible, not secret
        self.bucket = TokenBucket(cfg.rate_limit, cfg.clock()) if cfg.rate_limit else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        tracking = self._tracking_id(scope)
        state = scope.setdefault("state", {})
        state["tracking_id"] = tracking
        method = scope["method"]
        status_seen: list[int] = []

        async def send_tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (b"trackingid", tracking.encode()),
                ]
            await send(message)

        dropped: int | None = None
        try:
            dropped = await self._handle(scope, receive, send_tracked, method, tracking)
        finally:
            route = state.get("route")
            key = f"{method} /v1{route}" if route else self._route_key(scope, method)
            self.stats.count(key, dropped or (status_seen[0] if status_seen else 0))
        if dropped is not None and self.cfg.drop_mode == "raise":
            raise ConnectionDropped(f"{method} {scope['path']}: connection dropped after write")

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, method: str, tracking: str
    ) -> int | None:
        """Answer the request; the status of a write whose connection is to drop, else None."""
        cfg = self.cfg
        if self.bucket is not None:
            wait = self.bucket.take(cfg.clock())
            if wait > 0:
                seconds = str(max(1, math.ceil(wait)))
                await _error(
                    send,
                    429,
                    "Too many requests have been sent in a given amount of time.",
                    tracking,
                    {"Retry-After": seconds},
                )
                return None
        if cfg.latency_ms > 0:
            await cfg.sleep(cfg.latency_ms / 1000.0)
        if cfg.fail_rate > 0 and self.rng.random() < cfg.fail_rate:
            failed = self.rng.choice((500, 502, 503))
            await _error(
                send,
                failed,
                "The server is overloaded or failed; try again.",
                tracking,
                {"Retry-After": "1"} if failed == 503 else {},
            )
            return None
        drop = method in WRITES and cfg.drop_rate > 0 and self.rng.random() < cfg.drop_rate
        if not drop:
            await self.app(scope, receive, send)
            return None
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = held[0] if held else None
        if start is None or start["status"] >= 400:  # nothing was written: answer normally
            for message in held:
                await send(message)
            return None
        status: int = start["status"]
        if cfg.drop_mode == "raise":
            return status
        # "close": start the answer, then end without a body; the server closes the connection
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", b"1048576")]})
        return status

    def _route_key(self, scope: Scope, method: str) -> str:
        """The stats key of a request answered before its route ran (a 429 or an injected 5xx):
        the path template it would have reached, as the real API's quotas are per route."""
        for route in getattr(self.app, "routes", ()):
            if isinstance(route, Route) and route.matches(scope)[0] is Match.FULL:
                return f"{method} {route.path}"
        return f"{method} (unmatched)"

    @staticmethod
    def _tracking_id(scope: Scope) -> str:
        for key, value in scope.get("headers", []):
            if key == b"trackingid":
                text: str = value.decode("latin-1")
                return text
        return f"SANDBOX_{uuid.uuid4()}"


async def _error(
    send: Send, status: int, message: str, tracking: str, headers: dict[str, str]
) -> None:
    body = json.dumps(
        {"message": message, "errors": [{"description": message}], "trackingId": tracking}
    ).encode()
    raw: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
