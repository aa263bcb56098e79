"""Running the CLI in-process on a fake runtime, and a copy of the example estate."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from reconciler.api import WebexClient
from reconciler.cli import Runtime, cli
from reconciler.sandbox import SandboxConfig, create_app
from reconciler.workflow.connect import Connect, Target, open_client

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "desired-state"
CLEAN_ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "WEBEX_CLIENT_ID": None,
    "WEBEX_CLIENT_SECRET": None,
    "WEBEX_REFRESH_TOKEN": None,
    "HTTPS_PROXY": None,
    "https_proxy": None,
    "ALL_PROXY": None,
    "all_proxy": None,
    "NO_COLOR": "1",
}


def invoke(
    runtime: Runtime, *args: str, env: dict[str, str | None] | None = None
) -> tuple[int, str, str]:
    """``reconciler ARGS`` in ``runtime``: (exit code, stdout, stderr); a traceback fails."""
    result = CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})}, obj=runtime)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {args}") from result.exception
    return result.exit_code, result.stdout, result.stderr


def over_sandbox(db: Path, **settings: Any) -> Connect:
    """A ``connect`` that sends a Partner Hub target's requests to an in-process sandbox on
    ``db`` (``settings``: more ``SandboxConfig`` values), through any wrapper it is given."""

    def connect(target: Target, **options: Any) -> AbstractAsyncContextManager[WebexClient]:
        app = create_app(SandboxConfig(db=str(db), **settings))
        wrap = options.get("wrap_transport")

        def transport(_: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
            inner: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
            return wrap(inner) if wrap else inner

        return open_client(target, **{**options, "wrap_transport": transport})

    return connect
