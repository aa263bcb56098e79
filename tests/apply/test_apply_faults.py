"""Convergence under faults: for 20 seeds (5xx, rate limiting with 429s, dropped connections
after the write, slow and failing provisioning), at most 3 applies reach a plan with no changes
and Partner Hub holds no duplicate customer, location, subscriber or person.

Everything runs in-process on a fake clock shared by the sandbox, the client's limiter and
apply's job polling, so provisioning delays and Retry-After waits cost no real time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from admin_client import sandbox_admin, sandbox_stats
from apply_helpers import FakeClock, fast_limits

from reconciler.apply import apply_plan
from reconciler.desired import load_desired
from reconciler.errors import ReconcilerError
from reconciler.operations import ApiOperations, PollPolicy
from reconciler.plan import Plan
from reconciler.sandbox import SandboxConfig
from reconciler.workflow import Seams, Selection, apply_directory, plan_with, templates_of
from reconciler.workflow.connect import SandboxTarget, open_client

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "desired-state"
#: Four customers (calling with a carried headquarters, meetings only, suite, multi-location).
SCOPE = frozenset({"HVD-10231", "KSR-70211", "MGA-30552", "THA-40018"})


def faulty(db: Path, clock: FakeClock, seed: int) -> SandboxTarget:
    config = SandboxConfig(
        db=str(db),
        seed=seed,
        clock=clock,
        sleep=clock.sleep,
        fail_rate=0.1,
        drop_rate=0.05,
        rate_limit=20.0,
        provision_seconds=30.0,
        provision_error_rate=0.15,
        provision_partial_rate=0.15,
    )
    return SandboxTarget(db=str(db), config=config)


def clean(db: Path, clock: FakeClock) -> SandboxTarget:
    return SandboxTarget(db=str(db), config=SandboxConfig(db=str(db), clock=clock))


def no_duplicates(data: dict[str, Any]) -> list[str]:
    problems = []
    for what, keys in (
        ("customer", [c["externalId"] for c in data["customers"]]),
        ("location", [(loc["orgId"], loc["name"]) for loc in data["locations"]]),
        ("subscriber", [s["email"].lower() for s in data["subscribers"]]),
        ("person", [p["emails"][0].lower() for p in data["people"]]),
    ):
        if len(keys) != len(set(keys)):
            problems.append(f"duplicate {what}")
    return problems


async def fresh_plan_and_dump(db: Path, clock: FakeClock) -> tuple[Plan, dict[str, Any]]:
    desired = load_desired(ESTATE)
    limiter, retry = fast_limits(clock)
    async with open_client(
        clean(db, clock),
        read_only=False,
        templates=templates_of(desired),
        limiter=limiter,
        retry=retry,
    ) as client:
        planned = await plan_with(client, desired, scope=SCOPE)
        data = await sandbox_admin(client, "GET", "/dump")
        return planned.plan, data


async def converge(db: Path, seed: int) -> tuple[int, list[str]]:
    clock = FakeClock()
    runs = 0
    for _ in range(3):
        runs += 1
        limiter, retry = fast_limits(clock, seed)
        try:
            outcome = await apply_directory(
                ESTATE,
                faulty(db, clock, seed),
                Selection(scope=SCOPE),
                seams=Seams(
                    clock=clock,
                    sleep=clock.sleep,
                    poll=PollPolicy(initial=5.0, deadline=600.0),
                    limiter=lambda limiter=limiter: limiter,
                    retry=retry,
                ),
            )
            ok = outcome.result is not None and outcome.result.ok
        except ReconcilerError:  # e.g. a read that outlasted its retries: run again
            ok = False
        if ok:
            break
    plan, data = await fresh_plan_and_dump(db, clock)
    problems = no_duplicates(data)
    if not plan.is_empty:
        problems.append(f"plan not empty after {runs} runs: {[c.address for c in plan.changes]}")
    return runs, problems


@pytest.mark.parametrize("seed", range(20))
def test_apply_converges_under_faults_without_duplicates(seed: int, tmp_path: Path) -> None:
    runs, problems = asyncio.run(converge(tmp_path / "sandbox.sqlite", seed))
    assert not problems, problems
    assert runs <= 3


def test_the_faults_really_happen(tmp_path: Path) -> None:
    """The fault settings above do produce 5xx, 429 and dropped writes (else the test above
    would prove nothing), over the first seeds together: whether one seed meets a 429 depends
    on how the client's backoff spaces its requests."""

    async def go(seed: int) -> dict[str, Any]:
        clock = FakeClock()
        db = tmp_path / f"sandbox-{seed}.sqlite"
        limiter, retry = fast_limits(clock, seed)
        desired = load_desired(ESTATE)
        async with open_client(
            faulty(db, clock, seed),
            read_only=False,
            templates=templates_of(desired),
            limiter=limiter,
            retry=retry,
        ) as client:
            planned = await plan_with(client, desired, scope=SCOPE)
            # the waits the seeded draw below was made with (429s depend on the timing)
            poll = PollPolicy(initial=1.0, factor=1.5, max_interval=15.0)
            ops = ApiOperations(client, planned.live, poll=poll, clock=clock, sleep=clock.sleep)
            await apply_plan(planned.plan, ops)
            return await sandbox_stats(client)

    by_status: dict[str, int] = {}
    for seed in (3, 4, 5):
        for status, n in asyncio.run(go(seed))["byStatus"].items():
            by_status[status] = by_status.get(status, 0) + n
    assert by_status.get("429", 0) > 0
    assert sum(n for s, n in by_status.items() if s.startswith("5")) > 0
