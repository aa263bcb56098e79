"""Running the CLI in-process on a fake runtime, and a copy of the example estate."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import Runtime, cli

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
