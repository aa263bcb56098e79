"""End to end: the ``reconciler plan`` CLI against a sandbox served on loopback, with a
read-only token; ``/_sandbox/stats`` shows that only GETs and the /validate POSTs were sent."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.desired import load_desired
from reconciler.plan import Plan
from reconciler.sandbox import SandboxConfig, create_app

SOURCE = Path(__file__).resolve().parents[2] / "desired-state"

pytestmark = pytest.mark.e2e


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """The example estate, allowed more requests per second (its Settings say 10)."""
    copy = tmp_path / "estate"
    shutil.copytree(SOURCE, copy)
    settings = copy / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("maxRequestsPerSecond: 10", "maxRequestsPerSecond: 1000")
    )
    return copy


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    config = SandboxConfig(db=str(tmp_path / "served.sqlite"))
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "sandbox did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def admin(base: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{base}/_sandbox{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("precheck", [False, True])
def test_served_plan_with_read_token_sends_no_write(
    served: str, estate: Path, precheck: bool
) -> None:
    plan_text = _run_plan(served, estate, ["--format", "json"])
    admin(served, "POST", "/stats/reset")
    args = ["--format", "json", "--detailed-exitcode"] + (["--precheck"] if precheck else [])
    result = CliRunner().invoke(
        cli,
        ["plan", str(estate), "--api-url", f"{served}/v1", *args],
        env={"WEBEX_TOKEN": "sandbox-read", "RECONCILER_SANDBOX": None},
    )
    assert result.exit_code == 2, result.stderr
    plan = Plan.from_json(result.stdout)
    assert plan.checksum == Plan.from_json(plan_text).checksum
    assert {c.action for c in plan.changes} == {"create"}
    stats = admin(served, "GET", "/stats")
    writes = {
        r: n
        for r, n in stats["byRoute"].items()
        if not r.startswith("GET ") and "/validate" not in r
    }
    assert writes == {}
    validations = sum(n for r, n in stats["byRoute"].items() if r.endswith("/validate"))
    creates = [c for c in plan.changes if c.kind in ("customer", "user")]
    assert validations == (len(creates) if precheck else 0)
    if precheck:
        assert all(n.message.startswith("ok:") for n in plan.prechecks), plan.prechecks


def _run_plan(base: str, estate: Path, args: list[str]) -> str:
    """Register the estate's templates in the served sandbox (as an operator creates them in
    Partner Hub), then plan once."""
    for template in load_desired(estate).templates.values():
        admin(
            base,
            "POST",
            "/templates",
            {"name": template.name, "provisioningId": template.provisioning_id},
        )
    result = CliRunner().invoke(
        cli,
        ["plan", str(estate), "--api-url", f"{base}/v1", *args],
        env={"WEBEX_TOKEN": "sandbox-read", "RECONCILER_SANDBOX": None},
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout
