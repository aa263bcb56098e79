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
  under the ``Settings`` rate limit and concurrency, through its ``proxy`` (the one the
  environment names for that host, ``HTTPS_PROXY``/``ALL_PROXY`` unless ``NO_PROXY`` covers
  it: :func:`resolve_target` reads it with :func:`proxy_for` from the environment it is given).

``wrap_transport`` is the seam for observing every HTTP exchange the client makes, including
the ones that never get a response: it receives the client's transport before the client is
built and returns the transport to use (the apply journal wraps it this way).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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
from reconciler.errors import ApiError, NotFound, TransportFailed, UsageError
from reconciler.model import Settings
from reconciler.workflow.providers import ProviderFacts, read_providers

if TYPE_CHECKING:  # imported when a sandbox is opened: a Partner Hub run never loads it
    from reconciler.sandbox import SandboxConfig

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
    config: SandboxConfig | None = field(default=None, compare=False)
    #: The PSTN provider facts the sandbox stands in for (``--sandbox-providers``).
    providers: ProviderFacts | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"sandbox {self.db}"


@dataclass(frozen=True, slots=True)
class ApiTarget:
    """A Partner Hub API root and the credentials for it."""

    url: str = DEFAULT_API_URL
    credentials: Credentials = field(default_factory=Credentials, repr=False)
    #: The proxy to reach ``url`` through (None: straight).
    proxy: str | None = None

    def __str__(self) -> str:
        return self.url


Target = SandboxTarget | ApiTarget

NO_TARGET = (
    "no target: use --sandbox [FILE] (or RECONCILER_SANDBOX) for the local sandbox, or set "
    f"{TOKEN_VAR} (or {', '.join(GRANT_VARS)}) for Partner Hub at --api-url / WEBEX_API_URL "
    f"(default {DEFAULT_API_URL})"
)


def resolve_target(
    *,
    sandbox: str | None,
    api_url: str | None,
    env: Mapping[str, str],
    providers: Path | None = None,
) -> Target:
    """Pick the target from the options and the environment, or raise one clear UsageError
    (``providers``: a ``--sandbox-providers`` file, only with ``--sandbox``)."""
    if providers is not None and sandbox is None:
        raise UsageError("--sandbox-providers needs --sandbox (it describes the sandbox's world)")
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
        facts = read_providers(providers) if providers is not None else None
        return SandboxTarget(db=sandbox, providers=facts)
    credentials = credentials_from_env(env)
    if credentials is None:
        if api_url is not None:
            raise UsageError(
                f"--api-url {api_url} needs credentials: set {TOKEN_VAR}, or "
                f"{', '.join(GRANT_VARS)}; or use --sandbox [FILE] instead"
            )
        raise UsageError(NO_TARGET)
    url = check_api_url(api_url or DEFAULT_API_URL)
    return ApiTarget(url=url, credentials=credentials, proxy=proxy_for(url, env))


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


def limits_for(target: Target, settings: Settings | None) -> Limiter:
    """The request limits for ``target`` under ``settings``: the in-flight cap everywhere,
    the rate only towards Partner Hub (the sandbox has its own ``rate_limit`` fault)."""
    settings = settings or Settings()
    rate = None if isinstance(target, SandboxTarget) else settings.max_requests_per_second
    return Limiter(rate=rate, concurrency=max(1, settings.concurrency))


class Connect(Protocol):
    """What :func:`open_client` is; a test may hand the workflow another one (a sandbox on a
    fake clock, a client that counts its requests)."""

    def __call__(
        self,
        target: Target,
        *,
        read_only: bool,
        templates: Mapping[str, str] | None = None,
        settings: Settings | None = None,
        limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
        wrap_transport: WrapTransport | None = None,
    ) -> AbstractAsyncContextManager[WebexClient]: ...


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
    ``limiter``: the request limits (default :func:`limits_for` the target and ``settings``);
    ``wrap_transport``, when given, wraps the transport every request goes through."""
    limiter = limiter or limits_for(target, settings)
    if isinstance(target, SandboxTarget):
        async with _sandbox_client(
            target,
            read_only=read_only,
            templates=templates or {},
            limiter=limiter,
            retry=retry,
            wrap_transport=wrap_transport,
        ) as client:
            yield client
        return
    url = check_api_url(target.url)
    timeout = httpx.Timeout(60.0, connect=10.0)
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(proxy=target.proxy)
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
        try:
            yield WebexClient(
                http,
                base_url=url,
                tokens=tokens,
                read_only=read_only,
                limiter=limiter,
                retry=retry,
            )
        except (TransportFailed, NotFound) as exc:
            raise _said_where(exc, url, target.proxy) from None


def _said_where(exc: TransportFailed | NotFound, url: str, proxy: str | None) -> ApiError:
    """``exc`` naming what it means for the run: a connection failure names the URL tried
    (and that a proxy was used), a 404 under an API root without ``/v1`` suggests it."""
    if isinstance(exc, TransportFailed):
        through = f" through the proxy at {_host_of(proxy)}" if proxy else ""
        note = (
            f"cannot reach {url}{through}: {exc.message}; check --api-url (WEBEX_API_URL) "
            "and the network"
        )
    elif not httpx.URL(url).path.rstrip("/").endswith("/v1"):
        note = (
            f"{exc.message}; is /v1 missing from --api-url {url}? The Partner Hub API root is "
            f"{DEFAULT_API_URL}"
        )
    else:
        return exc
    return type(exc)(
        exc.status,
        note,
        exc.method,
        exc.path,
        error_codes=exc.error_codes,
        tracking_id=exc.tracking_id,
        descriptions=exc.descriptions,
    )


def _host_of(proxy: str) -> str:
    """The proxy's host and port, never the credentials a proxy URL may carry."""
    parsed = httpx.URL(proxy)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


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
    from reconciler.sandbox import SandboxConfig, StoreUnusable, create_app

    config = target.config
    if config is None:
        facts = target.providers or ProviderFacts()
        config = SandboxConfig(
            db=target.db,
            customer_pstn=facts.customer_pstn,
            provider_numbers=facts.provider_numbers,
        )
    try:
        app = create_app(config)
    except StoreUnusable as exc:
        raise UsageError(f"--sandbox {exc.path}: {exc.reason}") from None
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
            await _register_template(client, name, provisioning_id)
        try:
            yield client
        finally:
            # ASGITransport runs no lifespan, so the app's shutdown hook never fires.
            app.state.store.close()


async def _register_template(client: WebexClient, name: str, provisioning_id: str) -> None:
    """Register a template through the sandbox admin API, as an operator creates it in the
    Partner Hub UI."""
    path = "/_sandbox/templates"
    body = {"name": name, "provisioningId": provisioning_id}
    response = await client.http.post(f"{SANDBOX_ORIGIN}{path}", json=body)
    if response.status_code >= 400:
        raise ApiError(
            response.status_code,
            f"sandbox admin call failed: {response.text[:200]}",
            "POST",
            path,
        )
