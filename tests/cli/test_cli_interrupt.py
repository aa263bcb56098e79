"""Ctrl-C during apply: what was done, "re-run apply to continue", exit 130; the re-run
converges."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from apply_helpers import FakeClock, fake_runtime
from cli_helpers import ESTATE, invoke

from reconciler.api import WebexClient
from reconciler.cli import Runtime
from reconciler.journal import is_write
from reconciler.workflow.connect import Target


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    return copy


class InterruptAt(httpx.AsyncBaseTransport):
    """Raises KeyboardInterrupt (as Ctrl-C does) instead of sending request number ``at``
    (counting writes only when ``writes``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, at: int, *, writes: bool) -> None:
        self.inner, self.at, self.writes, self.seen = inner, at, writes, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if is_write(request) or not self.writes:
            self.seen += 1
            if self.seen == self.at:
                raise KeyboardInterrupt
        return await self.inner.handle_async_request(request)


def interrupting(rt: Runtime, at: int, *, writes: bool) -> Runtime:
    base = rt.seams.connect

    def connect(target: Target, **options: Any) -> AbstractAsyncContextManager[WebexClient]:
        wrap = options.get("wrap_transport")

        def wrapped(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
            return InterruptAt(wrap(inner) if wrap else inner, at, writes=writes)

        return base(target, **{**options, "wrap_transport": wrapped})

    return replace(rt, seams=replace(rt.seams, connect=connect))


def test_ctrl_c_during_apply_says_what_was_done_and_the_rerun_converges(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    rt = fake_runtime(clock)
    db = str(tmp_path / "sandbox.sqlite")
    code, out, err = invoke(
        interrupting(rt, 12, writes=True), "apply", str(estate), "--sandbox", db, "--yes"
    )
    assert code == 130, out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted after ")
    assert " change(s) finished (" in last
    assert "re-run apply to continue" in last
    finished = int(last.removeprefix("interrupted after ").split(" ", 1)[0])
    assert finished > 0
    assert "Traceback" not in err
    code, out, err = invoke(rt, "apply", str(estate), "--sandbox", db, "--yes")
    assert code == 0, out + err
    code, out, err = invoke(rt, "plan", str(estate), "--sandbox", db, "--detailed-exitcode")
    assert code == 0, out + err


def test_ctrl_c_while_reading_says_nothing_was_changed(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    db = str(tmp_path / "sandbox.sqlite")
    rt = interrupting(fake_runtime(clock), 2, writes=False)
    code, out, err = invoke(rt, "apply", str(estate), "--sandbox", db, "--yes")
    assert code == 130
    assert out == ""
    assert err.strip().splitlines() == [
        "interrupted before anything was written; nothing was changed"
    ]


ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("WEBEX_", "RECONCILER_"))},
    "NO_COLOR": "1",
}


def test_a_real_sigint_during_apply_exits_130_and_the_rerun_converges(
    estate: Path, tmp_path: Path
) -> None:
    db, journal = tmp_path / "sandbox.sqlite", tmp_path / "apply.jsonl"
    apply = [sys.executable, "-m", "reconciler", "apply", str(estate), "--sandbox", str(db)]
    process = subprocess.Popen(
        [*apply, "--yes", "--journal", str(journal)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (journal.exists() and journal.read_bytes().count(b"\n") >= 2):
            assert process.poll() is None, "apply ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert "re-run apply to continue" in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    rerun = subprocess.run([*apply, "--yes"], env=ENV, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    check = subprocess.run(
        [*apply[:3], "plan", str(estate), "--sandbox", str(db), "--detailed-exitcode"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
