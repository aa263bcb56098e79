"""A re-run after an interruption that left customer jobs running: it waits for them, plans
their locations and users, and converges — also through the CLI, whose read progress reports
the wait, and when a write of the interrupted run shows up only after the first wait."""

from __future__ import annotations

import asyncio
import io
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from apply_helpers import FakeClock, fake_runtime, fast_limits
from click.testing import CliRunner

from reconciler import bodies, planner
from reconciler.cli import cli
from reconciler.cli.console import StderrProgress
from reconciler.desired import load_desired
from reconciler.model import State
from reconciler.sandbox import SandboxConfig
from reconciler.workflow import (
    WAITING_PHASE,
    Seams,
    Selection,
    apply_directory,
    plan_with,
    templates_of,
)
from reconciler.workflow.connect import SandboxTarget, open_client

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "desired-state"
DESIRED = load_desired(ESTATE)
FIRST, LATE = "HVD-10231", "KSR-70211"


async def post_customer(target: SandboxTarget, ext: str, clock: Any = None) -> None:
    """What an interrupted run left behind: the create sent, the job still running."""
    limiter, retry = fast_limits(clock) if clock is not None else (None, None)
    async with open_client(
        target, read_only=False, templates=templates_of(DESIRED), limiter=limiter, retry=retry
    ) as client:
        create = planner.plan(DESIRED, State(), scope=frozenset({ext})).changes[0]
        await client.create_customer(bodies.for_change(create))


def test_rerun_waits_for_a_job_that_shows_up_during_the_wait(
    clock: FakeClock, tmp_path: Path
) -> None:
    db = str(tmp_path / "hub.sqlite")
    config = SandboxConfig(db=db, clock=clock, sleep=clock.sleep, provision_seconds=60.0)
    target = SandboxTarget(db=db, config=config)
    # LATE's job takes longer: it is still running when the wait for FIRST ends.
    slower = SandboxTarget(db=db, config=replace(config, provision_seconds=120.0))
    scope = frozenset({FIRST, LATE})
    phases: list[tuple[str, int, int]] = []
    late_sent: list[bool] = []

    async def sleep(seconds: float) -> None:
        # The interrupted run's create of LATE reaches Partner Hub only now, while this run
        # waits for FIRST: the plan made after the wait finds LATE in flight.
        if not late_sent:
            late_sent.append(True)
            await post_customer(slower, LATE, clock)
        await clock.sleep(seconds)

    async def go() -> tuple[Any, Any]:
        await post_customer(target, FIRST, clock)
        limiter, retry = fast_limits(clock)
        run = await apply_directory(
            ESTATE,
            target,
            Selection(scope=scope),
            progress=lambda phase, done, total: phases.append((phase, done, total)),
            seams=Seams(clock=clock, sleep=sleep, limiter=lambda: limiter, retry=retry),
        )
        limiter, retry = fast_limits(clock)
        async with open_client(
            target, read_only=True, templates=templates_of(DESIRED), limiter=limiter, retry=retry
        ) as client:
            after = await plan_with(client, DESIRED, scope=scope)
        return run, after

    run, after = asyncio.run(go())
    assert run.result is not None
    assert run.result.ok
    assert [c for c in run.plan.changes if c.kind == "customer"] == []  # none created again
    assert {c.customer for c in run.plan.changes} == scope  # both customers' children planned
    assert after.plan.is_empty
    assert not [w for w in after.plan.warnings if "provisioning" in w.message]
    waits = [p for p in phases if p[0] == WAITING_PHASE]
    assert waits == [(WAITING_PHASE, 0, 1), (WAITING_PHASE, 1, 1)] * 2  # FIRST, then LATE


def test_cli_rerun_with_a_job_still_running_converges(clock: FakeClock, tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    shutil.copytree(ESTATE, estate)
    db = str(tmp_path / "hub.sqlite")
    # The job stays in flight for 3 s (of the fake clock): the apply below finds it running
    # (its progress callback once took the wrong arguments there and the run ended in a
    # traceback).
    config = SandboxConfig(db=db, clock=clock, sleep=clock.sleep, provision_seconds=3.0)
    asyncio.run(post_customer(SandboxTarget(db=db, config=config), FIRST))
    env = {"RECONCILER_SANDBOX": None, "WEBEX_API_URL": None, "WEBEX_TOKEN": None}
    runner = CliRunner()
    runtime = fake_runtime(clock, provision_seconds=3.0)
    applied = runner.invoke(
        cli,
        ["apply", str(estate), "--sandbox", db, "--yes", "--customer", FIRST],
        env=env,
        obj=runtime,
    )
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert f"+ customer/{FIRST}" not in applied.stdout  # waited for, not created again
    assert f"+ location/{FIRST}/" in applied.stdout
    checked = runner.invoke(
        cli,
        ["plan", str(estate), "--sandbox", db, "--customer", FIRST, "--detailed-exitcode"],
        env=env,
        obj=runtime,
    )
    assert checked.exit_code == 0, checked.output


def test_read_progress_takes_the_waiting_phase() -> None:
    stream = io.StringIO()
    progress = StderrProgress(stream)
    progress(WAITING_PHASE, 0, 25)
    progress(WAITING_PHASE, 25, 25)
    assert stream.getvalue().splitlines() == [
        f"reading Partner Hub: {WAITING_PHASE} 0/25",
        f"reading Partner Hub: {WAITING_PHASE} 25/25",
    ]
