"""Credentials and access tokens; nothing here ever shows a secret.

Two ways to authenticate, both from the environment:

- ``WEBEX_TOKEN``: a ready access token, used as-is.
- ``WEBEX_CLIENT_ID`` + ``WEBEX_CLIENT_SECRET`` + ``WEBEX_REFRESH_TOKEN``: the OAuth
  refresh-token grant (``POST /v1/access_token``); a fresh access token is fetched before the
  first call and once more after a 401.

The token request goes straight to ``{api_url}/access_token``, outside the read-only guard
(it reads no Partner Hub data and writes none). Secrets live in :class:`Credentials`
(``repr=False`` fields) and in the token providers, whose ``repr`` is redacted; errors name
the variable or the endpoint, never the value.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from reconciler.errors import AuthError, TransportFailed, UsageError

DEFAULT_API_URL = "https://webexapis.com/v1"

TOKEN_VAR = "WEBEX_TOKEN"  # noqa: S105 - a variable name, not a secret
CLIENT_ID_VAR = "WEBEX_CLIENT_ID"
CLIENT_SECRET_VAR = "WEBEX_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
REFRESH_TOKEN_VAR = "WEBEX_REFRESH_TOKEN"  # noqa: S105 - a variable name, not a secret
GRANT_VARS = (CLIENT_ID_VAR, CLIENT_SECRET_VAR, REFRESH_TOKEN_VAR)

#: A token, ID or secret is printable ASCII without spaces. Anything else (a newline pasted
#: along, a control character, a non-ASCII letter) would break the header it is sent in, and
#: the HTTP layer's error would quote the header, secret included.
_TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")


def token_problem(value: str) -> str | None:
    """Why ``value`` cannot be sent as a credential (without quoting it), or None."""
    if _TOKEN_TEXT.fullmatch(value):
        return None
    bad = next((i, c) for i, c in enumerate(value) if not _TOKEN_TEXT.fullmatch(c))
    kind = "a space" if bad[1] == " " else "a control character"
    if bad[1].isprintable() and bad[1] != " ":
        kind = "a non-ASCII character"
    return f"contains {kind} (U+{ord(bad[1]):04X}) at position {bad[0] + 1}"


def _checked(name: str, value: str) -> str:
    problem = token_problem(value)
    if problem is not None:
        raise UsageError(f"{name} {problem}; it is refused before anything is sent")
    return value


@dataclass(frozen=True, slots=True)
class Credentials:
    """Either a static token or the three values of the refresh grant; never printed."""

    token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return "token" if self.token else "refresh grant"

    def __str__(self) -> str:
        return f"Credentials({self.kind})"


def credentials_from_env(env: Mapping[str, str]) -> Credentials | None:
    """Credentials from ``env``; None if none are set; UsageError if the grant is incomplete."""
    token = env.get(TOKEN_VAR, "").strip()
    if token:
        return Credentials(token=_checked(TOKEN_VAR, token))
    present = [v for v in GRANT_VARS if env.get(v, "").strip()]
    if not present:
        return None
    missing = [v for v in GRANT_VARS if v not in present]
    if missing:
        raise UsageError(
            f"incomplete OAuth refresh credentials: {', '.join(present)} set but "
            f"{', '.join(missing)} missing (or set {TOKEN_VAR} instead)"
        )
    return Credentials(
        client_id=_checked(CLIENT_ID_VAR, env[CLIENT_ID_VAR].strip()),
        client_secret=_checked(CLIENT_SECRET_VAR, env[CLIENT_SECRET_VAR].strip()),
        refresh_token=_checked(REFRESH_TOKEN_VAR, env[REFRESH_TOKEN_VAR].strip()),
    )


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(url: str) -> str:
    """Return ``url`` without a trailing slash; refuse plain http:// except to loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"--api-url must be an https:// URL, got {url!r}")
    if parts.username or parts.password:
        raise UsageError("--api-url must not carry credentials; use the environment variables")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"refusing plain http:// to {parts.hostname}: tokens would travel unencrypted "
            "(http:// is allowed only for localhost, 127.0.0.0/8 and ::1)"
        )
    return url.rstrip("/")


class TokenProvider(Protocol):
    """Supplies the bearer token; ``refresh`` returns False when no new token can be had."""

    async def token(self) -> str: ...

    async def refresh(self, stale: str) -> bool: ...


class StaticToken:
    """A fixed access token (``WEBEX_TOKEN``, or the sandbox's tokens)."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        self._token = _checked("the access token", token)

    def __repr__(self) -> str:
        return "StaticToken(***)"

    async def token(self) -> str:
        return self._token

    async def refresh(self, stale: str) -> bool:
        return False


class RefreshGrant:
    """Access tokens from the OAuth refresh-token grant, fetched lazily, refreshed on demand.

    Concurrent callers share one refresh: a 401 seen by many calls at once triggers a single
    ``POST /access_token``, and only if the failing token is still the current one.
    """

    def __init__(self, credentials: Credentials, *, http: httpx.AsyncClient, api_url: str):
        if not (credentials.client_id and credentials.client_secret and credentials.refresh_token):
            raise UsageError("the refresh grant needs " + ", ".join(GRANT_VARS))
        self._client_id = credentials.client_id
        self._client_secret = credentials.client_secret
        self._refresh_token = credentials.refresh_token
        self._http = http
        self._url = api_url.rstrip("/") + "/access_token"
        self._access: str | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0
        #: The scopes the last token answer said the access token carries (None: not said).
        self.scopes: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"RefreshGrant(url={self._url!r}, refreshes={self.refreshes})"

    async def token(self) -> str:
        if self._access is None:
            async with self._lock:
                if self._access is None:
                    await self._fetch()
        assert self._access is not None
        return self._access

    async def refresh(self, stale: str) -> bool:
        async with self._lock:
            if self._access is not None and self._access != stale:
                return True  # another caller already refreshed
            await self._fetch()
        return True

    async def _fetch(self) -> None:
        data = {
            "grant_type": "refresh_token",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "refresh_token": self._refresh_token,
        }
        try:
            response = await self._http.post(self._url, data=data)
        except httpx.HTTPError as exc:
            raise TransportFailed(
                None, f"token refresh failed: {type(exc).__name__}", "POST", "/access_token"
            ) from None
        self.refreshes += 1
        body: object
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise AuthError(
                response.status_code,
                "token refresh failed (check WEBEX_CLIENT_ID, WEBEX_CLIENT_SECRET and "
                "WEBEX_REFRESH_TOKEN)",
                "POST",
                "/access_token",
                tracking_id=response.headers.get("trackingid"),
            )
        access = body.get("access_token")
        if not isinstance(access, str) or not access or token_problem(access):
            raise AuthError(
                response.status_code,
                "token refresh answered without a usable access_token",
                "POST",
                "/access_token",
            )
        self._access = access
        scope = body.get("scope")
        if isinstance(scope, str):  # space-separated, as OAuth has it
            self.scopes = frozenset(scope.split())
        new_refresh = body.get("refresh_token")
        if isinstance(new_refresh, str) and new_refresh and not token_problem(new_refresh):
            self._refresh_token = new_refresh
