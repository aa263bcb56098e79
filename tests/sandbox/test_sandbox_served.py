"""The sandbox served over loopback: uvicorn, the CLI, dropped connections, a bounded fuzz run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sandbox_fuzz import fuzz
from sandbox_helpers import FULL, customer_body
from served import serve_command, served

from reconciler.sandbox import SandboxConfig

pytestmark = pytest.mark.e2e


def test_served_drop_closes_the_connection_after_the_write() -> None:
    config = SandboxConfig(drop_rate=1.0, drop_mode="close", provision_seconds=0)
    with served(config) as url, httpx.Client(base_url=url + "/", headers=FULL) as client:
        client.post(
            f"{url.removesuffix('/v1')}/_sandbox/templates",
            json={"name": "t", "provisioningId": "PID-STANDARD"},
        )
        with pytest.raises(httpx.TransportError):
            client.post("wholesale/customers", json=customer_body("dropped"))
        listed = client.get("wholesale/customers", params={"externalId": "dropped"})
        assert [c["status"] for c in listed.json()["items"]] == ["provisioned"]


def test_bounded_fuzz_finds_no_5xx_and_only_standard_errors() -> None:
    """A short spec-driven run; the long one is ``python tests/sandbox/sandbox_fuzz.py``."""
    with served(SandboxConfig(provision_seconds=0.05, seed=11)) as url:
        report = fuzz(url, examples=250, seed_value=11)
    assert report.failures == []
    assert report.requests == 250
    assert set(report.by_status) & {200, 201, 202, 204}
    assert set(report.by_status) & {400, 404}


def test_cli_serve_prints_its_url_and_serves_the_file(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite"
    options = ("--db", str(db), "--provision-seconds", "0")
    with serve_command(*options, "--token", "tok-full", "--read-token", "tok-read") as (
        origin,
        line,
    ):
        url = origin + "/v1"
        with httpx.Client(base_url=url + "/", headers={"Authorization": "Bearer tok-read"}) as c:
            assert c.get("roles").status_code == 200
            assert c.post("wholesale/customers", json={}).status_code == 403
        assert "tok-full" not in line
    assert db.exists()


def test_cli_serve_refuses_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--fail-rate", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 64
    assert "between 0 and 1" in result.stderr
    assert "Traceback" not in result.stderr
    same = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "serve",
            "--token",
            "a",
            "--read-token",
            "a",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert same.returncode == 64
    assert "must differ" in same.stderr
