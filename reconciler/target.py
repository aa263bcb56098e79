"""Where the tool talks to: an in-process sandbox on a SQLite file, or the real Partner Hub.

``open_client(target, read_only=…)`` is an async context manager yielding a ready
:class:`~reconciler.api.WebexClient`:

- :class:`SandboxTarget` runs ``reconciler.sandbox`` in this process over
  ``httpx.ASGITransport`` (no socket), authenticates with the sandbox's read-only token when
  ``read_only`` else its full token, and registers the templates the YAML declares
  (name → provisioningId) through the sandbox's admin API, as an operator would in Partner Hub.
  The rate limit of ``Settings`` is not applied there (the sandbox has its own ``rate_limit``
  fault for that); the in-flight cap is.
- :class:`ApiTarget` talks HTTPS to ``url`` with a static token or the OAuth refresh grant,
  under the ``Settings`` rate limit and concurrency, through the proxy the environment names
  for that host (``HTTPS_PROXY``/``ALL_PROXY`` unless ``NO_PROXY`` covers it, see
  :func:`proxy_for`).

``wrap_transport`` is the seam for observing every HTTP exchange the client makes, including
the ones that never get a response: it receives the client's transport before the client is
built and returns the transport to use (the apply journal wraps it this way).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reconciler import __version__
from reconciler.api import (
    DEFAULT_API_URL,
    Credentials,
    Limiter,
    RefreshGrant,
    RetryPolicy,
    StaticToken,
    TokenProvider,
    WebexClient,
    check_api_url,
    credentials_from_env,
)
from reconciler.api.auth import GRANT_VARS, TOKEN_VAR
from reconciler.errors import ApiError, UsageError
from reconciler.model import Settings

DEFAULT_SANDBOX_FILE = ".reconciler-sandbox.sqlite"
SANDBOX_ORIGIN = "http://127.0.0.1"
USER_AGENT = f"reconciler/{__version__}"

WrapTransport = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
"""Given the transport a client would use, the transport it uses instead."""


@dataclass(frozen=True, slots=True)
class SandboxTarget:
    """The in-process sandbox on ``db`` (a path or ``":memory:"``).

    ``config`` (a ``SandboxConfig``) replaces the default configuration, e.g. to inject
    faults or a clock in tests; its ``db`` is then used as given.
    """

    db: str = DEFAULT_SANDBOX_FILE
    config: Any = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"sandbox {self.db}"


@dataclass(frozen=True, slots=True)
class ApiTarget:
    """A Partner Hub API root and the credentials for it."""

    url: str = DEFAULT_API_URL
    credentials: Credentials = field(default_factory=Credentials, repr=False)

    def __str__(self) -> str:
        return self.url


Target = SandboxTarget | ApiTarget

NO_TARGET = (
    "no target: use --sandbox [FILE] (or RECONCILER_SANDBOX) for the local sandbox, or set "
    f"{TOKEN_VAR} (or {', '.join(GRANT_VARS)}) for Partner Hub at --api-url / WEBEX_API_URL "
    f"(default {DEFAULT_API_URL})"
)


def resolve_target(*, sandbox: str | None, api_url: str | None, env: Mapping[str, str]) -> Target:
    """Pick the target from the options and the environment, or raise one clear UsageError."""
    if sandbox is not None and api_url is not None:
        raise UsageError(
            "both --sandbox (RECONCILER_SANDBOX) and --api-url (WEBEX_API_URL) are set; choose one"
        )
    if sandbox is not None:
        if not sandbox.strip():
            raise UsageError("--sandbox needs a file name (or none for the default)")
        if Path(sandbox).is_dir():
            raise UsageError(
                f"--sandbox {sandbox} is a directory, not a sandbox file: put the desired-state "
                "directory before --sandbox, or write --sandbox=FILE"
            )
        return SandboxTarget(db=sandbox)
    credentials = credentials_from_env(env)
    if credentials is None:
        if api_url is not None:
            raise UsageError(
                f"--api-url {api_url} needs credentials: set {TOKEN_VAR}, or "
                f"{', '.join(GRANT_VARS)}; or use --sandbox [FILE] instead"
            )
        raise UsageError(NO_TARGET)
    return ApiTarget(url=check_api_url(api_url or DEFAULT_API_URL), credentials=credentials)


def proxy_for(url: str, env: Mapping[str, str]) -> str | None:
    """The proxy ``env`` names for ``url``, read the way httpx reads the environment by
    itself: ``<scheme>_proxy`` else ``all_proxy`` (lower or upper case), unless ``no_proxy``
    is ``*`` or names the host or a domain above it. The API is one host, so its proxy is
    decided once, when the client is opened."""

    def var(name: str) -> str:
        return (env.get(name) or env.get(name.upper()) or "").strip()

    host = httpx.URL(url).host.lower()
    no_proxy = var("no_proxy")
    if no_proxy == "*":
        return None
    for raw in no_proxy.split(","):
        entry = _bypass_host(raw)
        if entry and (host == entry or host.endswith("." + entry)):
            return None
    return var(f"{httpx.URL(url).scheme}_proxy") or var("all_proxy") or None


def _bypass_host(entry: str) -> str:
    """The host of one ``no_proxy`` entry (``.example.com``, ``http://h:8080``, ``[::1]``)."""
    entry = entry.strip().lower().split("://", 1)[-1].split("/", 1)[0]
    if entry.startswith("["):
        return entry[1:].split("]", 1)[0]
    if entry.count(":") == 1:
        entry = entry.split(":", 1)[0]
    return entry.lstrip("*").lstrip(".")


def _limits(settings: Settings | None, *, sandbox: bool, limiter: Limiter | None) -> Limiter:
    if limiter is not None:
        return limiter
    settings = settings or Settings()
    rate = None if sandbox else settings.max_requests_per_second
    return Limiter(rate=rate, concurrency=max(1, settings.concurrency))


@asynccontextmanager
async def open_client(
    target: Target,
    *,
    read_only: bool,
    templates: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    limiter: Limiter | None = None,
    retry: RetryPolicy | None = None,
    wrap_transport: WrapTransport | None = None,
) -> AsyncIterator[WebexClient]:
    """A client for ``target``; ``read_only`` refuses every write before it is sent.
    ``wrap_transport``, when given, wraps the transport every request goes through."""
    if isinstance(target, SandboxTarget):
        async with _sandbox_client(
            target,
            read_only=read_only,
            templates=templates or {},
            limiter=_limits(settings, sandbox=True, limiter=limiter),
            retry=retry,
            wrap_transport=wrap_transport,
        ) as client:
            yield client
        return
    url = check_api_url(target.url)
    timeout = httpx.Timeout(60.0, connect=10.0)
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(proxy=proxy_for(url, os.environ))
    if wrap_transport is not None:
        transport = wrap_transport(transport)
    async with httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    ) as http:
        creds = target.credentials
        tokens: TokenProvider
        if creds.token:
            tokens = StaticToken(creds.token)
        else:
            tokens = RefreshGrant(creds, http=http, api_url=url)
        yield WebexClient(
            http,
            base_url=url,
            tokens=tokens,
            read_only=read_only,
            limiter=_limits(settings, sandbox=False, limiter=limiter),
            retry=retry,
        )


@asynccontextmanager
async def _sandbox_client(
    target: SandboxTarget,
    *,
    read_only: bool,
    templates: Mapping[str, str],
    limiter: Limiter,
    retry: RetryPolicy | None,
    wrap_transport: WrapTransport | None,
) -> AsyncIterator[WebexClient]:
    from reconciler.sandbox import SandboxConfig, create_app

    config = target.config if target.config is not None else SandboxConfig(db=target.db)
    app = create_app(config)
    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
    if wrap_transport is not None:
        transport = wrap_transport(transport)
    async with httpx.AsyncClient(
        transport=transport, base_url=SANDBOX_ORIGIN, headers={"User-Agent": USER_AGENT}
    ) as http:
        token = config.read_token if read_only else config.full_token
        client = WebexClient(
            http,
            base_url=f"{SANDBOX_ORIGIN}/v1",
            tokens=StaticToken(token),
            read_only=read_only,
            limiter=limiter,
            retry=retry,
        )
        for name, provisioning_id in sorted(templates.items()):
            await sandbox_admin(
                client, "POST", "/templates", {"name": name, "provisioningId": provisioning_id}
            )
        try:
            yield client
        finally:
            # ASGITransport runs no lifespan, so the app's shutdown hook never fires.
            app.state.store.close()


async def sandbox_admin(client: WebexClient, method: str, path: str, body: Any = None) -> Any:
    """Call the sandbox admin API (``/_sandbox{path}``); only for a sandbox target."""
    response = await client.http.request(method, f"{SANDBOX_ORIGIN}/_sandbox{path}", json=body)
    if response.status_code >= 400:
        raise ApiError(
            response.status_code,
            f"sandbox admin call failed: {response.text[:200]}",
            method,
            f"/_sandbox{path}",
        )
    return response.json() if response.content else None


async def sandbox_stats(client: WebexClient) -> dict[str, Any]:
    """``GET /_sandbox/stats``: ``{"total", "byRoute", "byStatus"}`` (admin calls not counted)."""
    stats = await sandbox_admin(client, "GET", "/stats")
    assert isinstance(stats, dict)
    return stats


async def reset_sandbox_stats(client: WebexClient) -> None:
    await sandbox_admin(client, "POST", "/stats/reset")
