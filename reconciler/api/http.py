"""One request, done right: read-only guard, auth, limits, retries, error mapping.

:class:`ApiSession` is the only code that sends requests to Partner Hub. For every call it

1. refuses, before anything is sent, a write through a read-only session (only ``GET`` and
   ``POST`` to the two ``/validate`` precheck paths pass) — ``ReadOnlyViolation``;
2. waits for the shared :class:`~reconciler.api.limits.Limiter` (rate, in-flight cap, pause);
3. sends ``Authorization: Bearer …`` and a fresh ``TrackingID`` header;
4. retries what is safe to retry:

   ============================  ==========================  ==============================
   outcome                       GET / PUT / DELETE,          POST (a create)
                                 POST …/validate
   ============================  ==========================  ==============================
   429                           wait ``Retry-After`` (all    same (the server refused it, so
                                 callers pause, the rate      nothing happened)
                                 drops), retry; given up
                                 only while no call is
                                 being answered
   423                           wait ``Retry-After``, retry  same
   ``Retry-After`` > cap         ``RateLimited`` at once      same
   401                           refresh the token once       same
   5xx                           jittered backoff, retry      ``OutcomeUnknown``, never replayed
   connect error / pool timeout  backoff, retry               backoff, retry (nothing was sent)
   error after sending           backoff, retry               ``OutcomeUnknown``, never replayed
   ============================  ==========================  ==============================

   A 5xx on a POST is treated as "outcome unknown": a 502/504 from a gateway, or a 500 raised
   after the write was committed, cannot be told apart from a refusal, and a replayed create
   would duplicate a customer. The caller resolves it by looking the object up by its key.
5. maps every other error status to one exception class carrying the status, Webex
   ``errorCode``s, message, descriptions and ``trackingId``;
6. refuses answers a working Partner Hub never gives, so they can never read as "nothing
   there": a redirect (3xx; httpx follows none, and a captive portal or a moved URL must not
   look like an empty list), and a GET answered 2xx with an empty body or one that is not JSON
   — each an ``UnexpectedAnswer`` naming the URL and the status.

Nothing here logs or raises a header, a request body or a token; and httpcore, whose debug
log traces every exchange (headers, and errors quoting them), logs nothing below INFO.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from reconciler.api.auth import TokenProvider, token_problem
from reconciler.api.limits import Limiter, RetryPolicy, parse_retry_after
from reconciler.errors import (
    ApiError,
    AuthError,
    BadRequest,
    Conflict,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ReadOnlyViolation,
    ServerError,
    TransportFailed,
)

log = logging.getLogger("reconciler.api")

#: The only POSTs a read-only session may send: provisioning prechecks, which change nothing.
READ_ONLY_POSTS = frozenset({"/wholesale/customers/validate", "/wholesale/subscribers/validate"})
#: ... and the safe-delete check of a calling location, whose path carries the location's ID
#: (documented under ``spark-admin:telephony_config_read``; it answers what would block a
#: disable and changes nothing). One ID segment of ID characters, nothing else.
READ_ONLY_POST_PATTERN = re.compile(
    r"/telephony/config/locations/[A-Za-z0-9_=-]+/actions/precheckForDeletion/invoke"
)


def is_read_only_post(path: str) -> bool:
    """A POST a read-only session may send (a check that changes nothing)."""
    return path in READ_ONLY_POSTS or READ_ONLY_POST_PATTERN.fullmatch(path) is not None


#: Transport errors raised before any byte of the request left: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class UnexpectedAnswer(ApiError):
    """A redirect, or a GET answered with an empty or non-JSON body: never read as "none"."""


#: The HTTP libraries' loggers whose DEBUG records trace headers.
WIRE_LOGGERS = ("httpcore", "hpack")


def quiet_wire_logs() -> None:
    """Keep the HTTP libraries' wire traces out of every log level (``-vv`` included)."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


def new_tracking_id() -> str:
    return f"RECONCILER_{uuid.uuid4()}"


def error_class(status: int) -> type[ApiError]:
    if status in (401, 403):
        return AuthError
    if status in (404, 410):
        return NotFound
    if status == 409:
        return Conflict
    if status in (423, 429):
        return RateLimited
    if status >= 500:
        return ServerError
    return BadRequest


def error_from_response(
    response: httpx.Response,
    method: str,
    path: str,
    *,
    cls: type[ApiError] | None = None,
    note: str = "",
) -> ApiError:
    """Build the exception for an error response from its body and headers only."""
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = None
    message = ""
    codes: list[int] = []
    descriptions: list[str] = []
    tracking = response.headers.get("trackingid")
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            message = body["message"]
        if isinstance(body.get("trackingId"), str):
            tracking = body["trackingId"]
        errors = body.get("errors")
        for item in errors if isinstance(errors, list) else ():
            if not isinstance(item, dict):
                continue
            code = item.get("errorCode")
            if isinstance(code, int | str) and str(code).lstrip("-").isdigit():
                codes.append(int(code))
            if isinstance(item.get("description"), str) and item["description"] != message:
                descriptions.append(item["description"])
    if not message:
        message = response.reason_phrase or "error"
    if note:
        message = f"{message}; {note}"
    return (cls or error_class(response.status_code))(
        response.status_code,
        message,
        method,
        path,
        error_codes=tuple(codes),
        tracking_id=tracking,
        descriptions=tuple(descriptions),
    )


def _shown(text: str, limit: int = 200) -> str:
    """A server-given text for a message: one line, bounded."""
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


_JSON_START = (b"{", b"[")


def unexpected_answer(response: httpx.Response, method: str, path: str) -> ApiError | None:
    """The error for a 2xx/3xx answer no working API gives (see the module doc), or None."""
    status = response.status_code
    if status < 300 and (method != "GET" or status == 204 or response.content[:1] in _JSON_START):
        return None  # the common case, decided before the URL is built for a message
    url = _shown(str(response.request.url.copy_with(query=None)))
    if 300 <= status < 400:
        location = response.headers.get("location")
        to = f" to {_shown(location)}" if location else ""
        return UnexpectedAnswer(
            status, f"{method} {url} answered a redirect{to}; not followed", method, path
        )
    if method == "GET" and status != 204:
        content = response.content.lstrip()
        if not content:
            return UnexpectedAnswer(
                status, f"{method} {url} answered HTTP {status} with an empty body", method, path
            )
        if content[:1] not in (b"{", b"["):
            kind = _shown(response.headers.get("content-type", "no content type"), 60)
            return UnexpectedAnswer(
                status,
                f"{method} {url} answered HTTP {status} with a body that is not JSON ({kind})",
                method,
                path,
            )
    return None


class ApiSession:
    """Sends requests under the guard, the limits and the retry rules (see module doc)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        tokens: TokenProvider,
        read_only: bool = False,
        limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = http
        self.base = httpx.URL(base_url.rstrip("/"))
        self.tokens = tokens
        self.read_only = read_only
        self.limiter = limiter or Limiter()
        self.retry = retry or RetryPolicy()
        quiet_wire_logs()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"ApiSession({str(self.base)!r}, {mode})"

    def url_for(self, target: str) -> tuple[httpx.URL, str]:
        """The absolute URL for a path (``/people``) or a next link, and its API path."""
        if target.startswith(("http://", "https://")):
            url = httpx.URL(target)
        else:
            url = httpx.URL(str(self.base) + target)
        same_origin = (url.scheme, url.host, url.port) == (
            self.base.scheme,
            self.base.host,
            self.base.port,
        )
        base_path = self.base.path.rstrip("/")
        if not same_origin or not url.path.startswith(base_path + "/"):
            # A next link pointing elsewhere would carry our token to another host.
            raise ApiError(None, f"refusing to follow a URL outside {self.base}: {url.host}")
        return url, url.path[len(base_path) :]

    def allowed(self, method: str, path: str) -> bool:
        return (
            not self.read_only or method == "GET" or (method == "POST" and is_read_only_post(path))
        )

    async def request(
        self,
        method: str,
        target: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one logical call (with its retries); return a 2xx response or raise."""
        method = method.upper()
        if params:
            # one URL parse with the query (httpx would parse it again to merge ``params``);
            # httpx encodes its params with urlencode too
            target = f"{target}{'&' if '?' in target else '?'}{urlencode(params)}"
        url, path = self.url_for(target)
        if not self.allowed(method, path):
            raise ReadOnlyViolation(
                None,
                "refused: this client is read-only (plan and export never write); nothing was sent",
                method,
                path,
            )
        replayable = method in ("GET", "PUT", "DELETE") or is_read_only_post(path)
        failures = 0
        limited = 0
        progress = self.limiter.answered  # answers to any call since this one began
        refreshed = False
        while True:
            token = await self.tokens.token()
            problem = token_problem(token)
            if problem is not None:
                raise AuthError(None, f"the access token {problem}; nothing was sent", method, path)
            headers = {
                "Authorization": f"Bearer {token}",
                "TrackingID": new_tracking_id(),
                "Accept": "application/json",
            }
            try:
                async with self.limiter.slot():
                    response = await self.http.request(method, url, json=json, headers=headers)
            except httpx.TransportError as exc:
                kind = type(exc).__name__
                if not replayable and not isinstance(exc, _NOT_SENT):
                    raise OutcomeUnknown(
                        None,
                        f"connection lost after sending ({kind}); the outcome is unknown and "
                        "the request is not replayed: look the object up by its key",
                        method,
                        path,
                    ) from None
                failures += 1
                if failures >= self.retry.attempts:
                    raise TransportFailed(
                        None, f"{kind} after {failures} attempt(s)", method, path
                    ) from None
                wait = self.retry.backoff(failures, self.limiter.rand)
                log.warning("%s %s: %s; retrying in %.1f s", method, path, kind, wait)
                await self.limiter.sleep(wait)
                continue

            status = response.status_code
            self.limiter.note_answer(status)
            log.debug("%s %s -> %s", method, path, status)
            if status < 400:
                unexpected = unexpected_answer(response, method, path)
                if unexpected is not None:
                    raise unexpected
                return response
            if status == 401 and not refreshed:
                refreshed = True
                if await self.tokens.refresh(token):
                    log.info("%s %s: 401, access token refreshed", method, path)
                    continue
            if status in (429, 423):
                limited += 1
                after = parse_retry_after(response.headers.get("retry-after"))
                wait = self.retry.default_retry_after if after is None else after
                if wait > self.retry.retry_after_cap:
                    raise error_from_response(
                        response,
                        method,
                        path,
                        cls=RateLimited,
                        note=f"Retry-After of {wait:g} s exceeds the cap of "
                        f"{self.retry.retry_after_cap:g} s",
                    )
                if status == 429 and self.limiter.answered > progress:
                    # others are being answered: this call is waiting its turn, not stuck
                    limited, progress = 1, self.limiter.answered
                if limited >= self.retry.rate_limit_attempts:
                    raise error_from_response(
                        response,
                        method,
                        path,
                        cls=RateLimited,
                        note=f"still limited after {limited} attempt(s)",
                    )
                log.warning("%s %s: HTTP %s; waiting %.1f s", method, path, status, wait)
                if status == 429:
                    self.limiter.slow_down(wait)  # the quota is shared: everyone waits
                else:
                    await self.limiter.sleep(wait)  # a lock is per resource
                continue
            if status >= 500:
                if not replayable:
                    raise error_from_response(
                        response,
                        method,
                        path,
                        cls=OutcomeUnknown,
                        note="the outcome is unknown and the request is not replayed: "
                        "look the object up by its key",
                    )
                failures += 1
                if failures >= self.retry.attempts:
                    raise error_from_response(
                        response, method, path, note=f"after {failures} attempt(s)"
                    )
                wait = self.retry.backoff(failures, self.limiter.rand)
                after = parse_retry_after(response.headers.get("retry-after"))
                if after is not None and after <= self.retry.retry_after_cap:
                    wait = max(wait, after)
                log.warning("%s %s: HTTP %s; retrying in %.1f s", method, path, status, wait)
                await self.limiter.sleep(wait)
                continue
            raise error_from_response(response, method, path)
