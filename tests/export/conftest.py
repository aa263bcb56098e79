"""Fixtures for export tests: the CLI in-process, the example estate applied once per module,
seeding a sandbox file, and the request counts of each command's sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import reconciler.cli.export as export_cli
from reconciler.cli import cli
from reconciler.target import (
    SandboxTarget,
    Target,
    open_client,
    reset_sandbox_stats,
    sandbox_admin,
    sandbox_stats,
)

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "desired-state"
CLEAN_ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "WEBEX_CLIENT_ID": None,
    "WEBEX_CLIENT_SECRET": None,
    "WEBEX_REFRESH_TOKEN": None,
    "NO_COLOR": "1",
}


def run_cli(*args: str) -> tuple[int, str, str]:
    """``reconciler ARGS`` in-process: exit code, stdout, stderr (a traceback fails the test)."""
    result = CliRunner().invoke(cli, list(args), env=CLEAN_ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def seed(db: Path, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /_sandbox/seed`` into the sandbox file ``db``."""

    async def go() -> dict[str, Any]:
        async with open_client(SandboxTarget(db=str(db)), read_only=False) as client:
            answer = await sandbox_admin(client, "POST", "/seed", body)
            assert isinstance(answer, dict)
            return answer

    return asyncio.run(go())


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox file holding the example estate, applied through the CLI (once per module;
    tests only read it)."""
    db = tmp_path_factory.mktemp("applied") / "sandbox.sqlite"
    code, out, err = run_cli("apply", str(ESTATE), "--sandbox", str(db), "--yes")
    assert code == 0, out + err
    return db


@pytest.fixture
def export_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Each export's client options and the sandbox stats of its requests, as
    ``[{"options": {...}, "stats": {...}}]`` (the in-process sandbox counts per client)."""
    seen: list[dict[str, Any]] = []
    real: Callable[..., Any] = export_cli.open_client

    @asynccontextmanager
    async def counted(target: Target, **options: Any) -> AsyncIterator[Any]:
        async with real(target, **options) as client:
            await reset_sandbox_stats(client)
            yield client
            seen.append({"options": options, "stats": await sandbox_stats(client)})

    monkeypatch.setattr(export_cli, "open_client", counted)
    return seen
