"""``reconciler export`` against Partner Hub over a real socket (the sandbox served on loopback
by uvicorn), with a read-only access token that must never show up anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from export_helpers import CLEAN_ENV
from served import served

from reconciler.cli import cli
from reconciler.sandbox import SandboxConfig

pytestmark = pytest.mark.e2e

CANARY = "CANARY-export-read-token-5d1e"


def test_export_over_http_with_a_read_token(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**CLEAN_ENV, "WEBEX_TOKEN": CANARY}
    with served(SandboxConfig(db=str(applied), read_token=CANARY)) as url:
        exported = CliRunner().invoke(cli, ["export", "--api-url", url, "--out", str(out)], env=env)
        planned = CliRunner().invoke(
            cli, ["plan", str(out), "--api-url", url, "--detailed-exitcode"], env=env
        )
    assert exported.exit_code == 0, exported.stderr
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert len(list((out / "customers").iterdir())) == 8
    texts = [exported.stdout, exported.stderr, planned.stdout, planned.stderr]
    texts += [p.read_text(encoding="utf-8") for p in out.rglob("*.yaml")]
    assert not [t for t in texts if CANARY in t]
