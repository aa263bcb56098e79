"""The sandbox served over loopback: uvicorn, the CLI, dropped connections, a bounded fuzz run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sandbox_fuzz import fuzz
from sandbox_helpers import FULL, customer_body
from served import serve_command, served

from reconciler.cli import cli
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


def _admin_stats_from_a_web_page(*options: str) -> int:
    with serve_command(*options) as (origin, _line):
        answer = httpx.get(
            origin + "/_sandbox/stats", headers={**FULL, "Origin": "https://elsewhere.example"}
        )
        return answer.status_code


def test_cli_serve_sets_named_switches() -> None:
    options = ("--set", "admin_cross_origin=true", "--set", "max_body_bytes=64")
    with serve_command(*options) as (origin, _line):
        big = httpx.post(
            origin + "/v1/wholesale/customers", headers=FULL, content=b"{" + b" " * 100 + b"}"
        )
        assert big.status_code == 413
    assert _admin_stats_from_a_web_page(*options) == 200
    assert _admin_stats_from_a_web_page() == 403


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("no_such_switch=1", "no switch 'no_such_switch'; the switches are: "),
        ("admin_cross_origin=yes", "admin_cross_origin takes true or false, not 'yes'"),
        ("max_body_bytes=lots", "max_body_bytes takes a whole number, not 'lots'"),
        ("put_extra_fields=keep", "put_extra_fields takes one of ignore, reject, not 'keep'"),
        ("max_body_bytes", "'max_body_bytes' is not NAME=VALUE"),
        ("job_seconds=-1", "job_seconds must not be negative"),
    ],
)
def test_cli_serve_refuses_a_bad_switch(setting: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", "0", "--set", setting])
    assert result.exit_code == 64, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_sandbox_switches_lists_every_switch_with_its_default() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "switches"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "implicit_calling_locations=false" in lines
    assert "duplicate_location_name_status=409" in lines
    assert "put_extra_fields=ignore" in lines
    assert lines == sorted(lines)
