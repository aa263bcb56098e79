"""Talking to Partner Hub goes wrong: a connection error names the URL it tried, a 404 under
an API root without ``/v1`` suggests it."""

from __future__ import annotations

import random
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from apply_helpers import FakeClock
from cli_helpers import ESTATE, invoke, over_sandbox

from reconciler.api import Limiter, RetryPolicy
from reconciler.cli import Runtime
from reconciler.workflow import Seams


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    return copy


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def quick(clock: FakeClock, **seams: Any) -> Runtime:
    """Two attempts per call and backoff on the fake clock: a failure costs no real time."""
    limiter = lambda: Limiter(  # noqa: E731
        rate=None, concurrency=4, clock=clock, sleep=clock.sleep, rand=random.Random(0).random
    )
    return Runtime(
        seams=Seams(
            clock=clock, sleep=clock.sleep, limiter=limiter, retry=RetryPolicy(attempts=2), **seams
        )
    )


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_connection_error_names_the_url_it_tried(
    command: str, estate: Path, clock: FakeClock
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, out, err = invoke(
        quick(clock),
        command,
        str(estate),
        "--api-url",
        url,
        *(["--yes"] if command == "apply" else []),
        env={"WEBEX_TOKEN": "CANARY-token-never-printed"},
    )
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"cannot reach {url}: ConnectError after 2 attempt(s)" in lines[0]
    assert "--api-url" in lines[0]
    assert "CANARY" not in err


def test_a_connection_error_through_a_proxy_names_it_without_its_credentials(
    estate: Path, clock: FakeClock
) -> None:
    proxy = f"http://user:proxy-secret@127.0.0.1:{closed_port()}"
    code, _, err = invoke(
        quick(clock),
        "plan",
        str(estate),
        "--api-url",
        "https://partner-hub.example/v1",
        env={"WEBEX_TOKEN": "CANARY-token-never-printed", "HTTPS_PROXY": proxy},
    )
    assert code == 1
    assert "cannot reach https://partner-hub.example/v1 through the proxy at 127.0.0.1:" in err
    assert "proxy-secret" not in err
    assert "CANARY" not in err


def test_a_404_under_an_api_root_without_v1_suggests_it(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    rt = quick(clock, connect=over_sandbox(tmp_path / "sandbox.sqlite"))
    env = {"WEBEX_TOKEN": "sandbox-read"}
    code, out, err = invoke(rt, "plan", str(estate), "--api-url", "http://127.0.0.1:8700", env=env)
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "HTTP 404" in lines[0]
    assert "is /v1 missing from --api-url http://127.0.0.1:8700?" in lines[0]
    # the same API root with /v1 is right: the plan is made
    code, out, err = invoke(
        rt, "plan", str(estate), "--api-url", "http://127.0.0.1:8700/v1", env=env
    )
    assert code == 0, err
    assert "Plan: " in out
