"""``reconciler export`` against Partner Hub over a real socket (the sandbox served on loopback
by uvicorn), with a read-only access token that must never show up anywhere."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from export_helpers import CLEAN_ENV

from reconciler.cli import cli
from reconciler.sandbox import SandboxConfig, create_app

pytestmark = pytest.mark.e2e

CANARY = "CANARY-export-read-token-5d1e"


@contextlib.contextmanager
def serve(config: SandboxConfig) -> Iterator[str]:
    import uvicorn

    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.store.close()


def test_export_over_http_with_a_read_token(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**CLEAN_ENV, "WEBEX_TOKEN": CANARY}
    with serve(SandboxConfig(db=str(applied), read_token=CANARY)) as url:
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
