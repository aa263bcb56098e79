"""What the answers say about rate limits: a transport wrapper that notes the rate-limit
headers (``X-RateLimit-*``, ``RateLimit-*``, ``Retry-After``) and the 429s it sees."""

from __future__ import annotations

import httpx


def _is_rate_header(name: str) -> bool:
    name = name.lower()
    return "ratelimit" in name or "rate-limit" in name or name == "retry-after"


class RateWatch:
    """Hand :meth:`wrap` to ``open_client`` as ``wrap_transport``."""

    def __init__(self) -> None:
        self.answers = 0
        self.limited = 0
        #: header name (as sent) → its last value
        self.headers: dict[str, str] = {}

    def wrap(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return _Watching(inner, self)

    def note(self, response: httpx.Response) -> None:
        self.answers += 1
        self.limited += response.status_code == 429
        for name, value in response.headers.items():
            if _is_rate_header(name):
                self.headers[name] = value

    def summary(self) -> str:
        """The rate-limit headers seen (their last values) and the 429s, in one line."""
        limited = f"; {self.limited} answer(s) were 429" if self.limited else ""
        if not self.headers:
            return (
                f"no rate-limit headers in {self.answers} answer(s){limited} (Webex publishes "
                "no limits: the client slows down on 429 below maxRequestsPerSecond)"
            )
        seen = ", ".join(f"{k}: {v}" for k, v in sorted(self.headers.items()))
        return f"{seen} (last values, of {self.answers} answer(s)){limited}"


class _Watching(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, watch: RateWatch) -> None:
        self.inner = inner
        self.watch = watch

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.watch.note(response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
