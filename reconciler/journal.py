"""The apply journal: one JSON line per API write, appended as it happens.

Each line is a JSON object with these keys (one line per HTTP attempt, so a retried PUT shows
each attempt)::

    {"time": "2026-01-01T12:00:00.123Z", "address": "customer/acme", "action": "create",
     "method": "POST", "path": "/v1/wholesale/customers", "status": 202,
     "trackingId": "...", "outcome": "ok"}

- ``address`` / ``action``: the plan change being executed (``null`` outside one), taken from a
  context variable that ``apply`` sets around each change (``change_context``).
- ``path``: the URL path and query (the host is left out); ``status`` is ``null`` when no
  response came back (a dropped connection), and then ``outcome`` says so.
- ``outcome``: ``ok`` for 2xx, ``error: <API message>`` for other statuses, ``no response:
  <ErrorClass>`` when the connection failed — the write may or may not have happened.

Never written: headers (so never a token), request or response bodies. Reads (GET/HEAD), the
provisioning prechecks (``…/validate``), token refreshes (``/access_token``) and the local
sandbox's admin calls (``/_sandbox/…``) are not writes. One read is journaled: a telephony
job's errors list (``GET /telephony/config/jobs/…/{jobId}/errors``) that names errors, with
``outcome`` ``job errors: <code>: <description>; …``, the job's own report of what it failed
to do, under the change that started or waited for it.

The journal sees requests through a transport wrapper (:meth:`Journal.transport`), handed to
``reconciler.workflow.connect.open_client`` as ``wrap_transport``, so it records each attempt,
including one whose connection dropped before any response.
Every line is flushed as it is written, so a killed process leaves a complete journal up to its
last request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx

_current: ContextVar[tuple[str, str] | None] = ContextVar("reconciler_change", default=None)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NOT_WRITES = ("/validate", "/access_token")
_SANDBOX_ADMIN = "/_sandbox/"
_MAX_MESSAGE = 300


@contextmanager
def change_context(address: str, action: str) -> Iterator[None]:
    """Label every API write made inside the block with this change."""
    token = _current.set((address, action))
    try:
        yield
    finally:
        _current.reset(token)


def current_change() -> tuple[str, str] | None:
    """The (address, action) of the change being executed, if any."""
    return _current.get()


def is_write(request: httpx.Request) -> bool:
    """A Partner Hub write: not a read, a precheck, a token refresh, or a call to the local
    sandbox's admin API (``/_sandbox/…``, e.g. registering templates)."""
    path = request.url.path
    return (
        request.method in WRITE_METHODS
        and not path.endswith(_NOT_WRITES)
        and not path.startswith(_SANDBOX_ADMIN)
    )


def is_job_errors(request: httpx.Request) -> bool:
    """A read of a telephony job's errors list (journaled when it names errors)."""
    path = request.url.path
    return (
        request.method == "GET" and "/telephony/config/jobs/" in path and path.endswith("/errors")
    )


def _job_errors(response: httpx.Response) -> str:
    """``<code>: <description>; …`` of an errors list (empty when it names none)."""
    try:
        data: Any = response.json()
    except ValueError:
        return ""
    items = data.get("items") if isinstance(data, dict) else None
    parts = []
    for item in items if isinstance(items, list) else ():
        error = item.get("error") if isinstance(item, dict) else None
        messages = error.get("message") if isinstance(error, dict) else None
        for m in messages if isinstance(messages, list) else ():
            if isinstance(m, dict):
                parts.append(f"{m.get('code')}: {m.get('description')}")
    return "; ".join(parts)[:_MAX_MESSAGE]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _error_message(response: httpx.Response) -> str:
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    message = ""
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        descriptions = [
            str(e.get("description"))
            for e in data.get("errors") or ()
            if isinstance(e, dict) and e.get("description")
        ]
        if descriptions:
            message = (
                f"{message} ({'; '.join(descriptions)})" if message else "; ".join(descriptions)
            )
    return (message or response.reason_phrase or "error")[:_MAX_MESSAGE]


class Journal:
    """Appends journal lines to a file (or any text stream); see the module docstring."""

    def __init__(
        self, target: Path | str | IO[str], *, now: Callable[[], datetime] = _utc_now
    ) -> None:
        if isinstance(target, Path | str):
            self._stream: IO[str] = open(target, "a", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._stream = target
            self._owned = False
        self._now = now
        self.lines = 0

    def record(
        self,
        *,
        method: str,
        path: str,
        status: int | None,
        tracking_id: str | None,
        outcome: str,
    ) -> None:
        change = current_change()
        stamp = self._now().astimezone(UTC)
        line = {
            "time": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
            "address": change[0] if change else None,
            "action": change[1] if change else None,
            "method": method,
            "path": path,
            "status": status,
            "trackingId": tracking_id,
            "outcome": outcome,
        }
        self._stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._stream.flush()
        self.lines += 1

    async def observe(self, request: httpx.Request, send: Callable[[], Any]) -> httpx.Response:
        """Send ``request`` through ``send`` and journal it if it is a write."""
        if not is_write(request):
            response: httpx.Response = await send()
            if is_job_errors(request) and response.is_success:
                await response.aread()
                if errors := _job_errors(response):
                    self.record(
                        method=request.method,
                        path=request.url.raw_path.decode("ascii", "replace"),
                        status=response.status_code,
                        tracking_id=response.headers.get("trackingid"),
                        outcome=f"job errors: {errors}",
                    )
            return response
        path = request.url.raw_path.decode("ascii", "replace")
        sent_id = request.headers.get("trackingid")
        try:
            response = await send()
        except Exception as exc:
            self.record(
                method=request.method,
                path=path,
                status=None,
                tracking_id=sent_id,
                outcome=f"no response: {type(exc).__name__}",
            )
            raise
        tracking_id = response.headers.get("trackingid") or sent_id
        if response.is_success:
            outcome = "ok"
        else:
            await response.aread()
            outcome = f"error: {_error_message(response)}"
        self.record(
            method=request.method,
            path=path,
            status=response.status_code,
            tracking_id=tracking_id,
            outcome=outcome,
        )
        return response

    def transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """``inner`` with every write journaled: pass this method as ``wrap_transport`` to
        ``reconciler.workflow.connect.open_client`` (it sees each attempt, answered or not)."""
        return JournalTransport(inner, self)

    def close(self) -> None:
        if self._owned:
            self._stream.close()


class JournalTransport(httpx.AsyncBaseTransport):
    """An httpx transport that journals writes and passes everything to ``inner``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, journal: Journal) -> None:
        self.inner = inner
        self.journal = journal

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.journal.observe(request, lambda: self.inner.handle_async_request(request))

    async def aclose(self) -> None:
        await self.inner.aclose()
