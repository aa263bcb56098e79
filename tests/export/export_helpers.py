"""Helpers for export tests: the CLI in-process with a clean environment, and seeding a
sandbox file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from admin_client import sandbox_admin
from click.testing import CliRunner

from reconciler.cli import Runtime, cli
from reconciler.workflow.connect import SandboxTarget, open_client

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


#: The runtime the CLI runs in (a fixture may hand in another ``connect``).
RUNTIME = Runtime()


def run_cli(*args: str) -> tuple[int, str, str]:
    """``reconciler ARGS`` in-process: exit code, stdout, stderr (a traceback fails the test)."""
    result = CliRunner().invoke(cli, list(args), env=CLEAN_ENV, obj=RUNTIME)
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
