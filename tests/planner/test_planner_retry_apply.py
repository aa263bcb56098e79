"""A customer whose provisioning ended badly is planned as a retry and converges: plan shows the
retry (and, without an org, its locations and users as creates after it), apply makes it true
against the in-process sandbox, and the next plan is empty with no duplicate anywhere.

The sandbox runs on a fake clock shared with apply's polling, so provisioning costs no time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from admin_client import sandbox_admin
from test_planner_cli import seed_body

from reconciler.api import Limiter, RetryPolicy
from reconciler.bodies import customer_address
from reconciler.desired import load_desired
from reconciler.operations import PollPolicy
from reconciler.plan import Plan
from reconciler.sandbox import SandboxConfig
from reconciler.workflow import Review, Seams, Selection, apply_directory, plan_with, templates_of
from reconciler.workflow.connect import SandboxTarget, open_client

ESTATE = Path(__file__).resolve().parents[2] / "desired-state"
FAILED = "THA-40018"  # calling, headquarters "London Studio", a second location, admin user
#: Meetings only. (A seeded calling customer would not do here: the sandbox's seed does not
#: record which location is the headquarters, so a re-sent calling location adds a second one.)
PARTIAL = "KSR-70211"
SCOPE = frozenset({FAILED, PARTIAL})


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def target(db: Path, clock: Clock) -> SandboxTarget:
    return SandboxTarget(db=str(db), config=SandboxConfig(db=str(db), clock=clock))


def limits(clock: Clock) -> tuple[Limiter, RetryPolicy]:
    limiter = Limiter(rate=None, concurrency=8, clock=clock, sleep=clock.sleep, rand=lambda: 0.5)
    return limiter, RetryPolicy(attempts=4, rate_limit_attempts=8)


async def seed_and_plan(db: Path, clock: Clock) -> Plan:
    desired = load_desired(ESTATE)
    failed = desired.customers[FAILED]
    partial = seed_body(desired, PARTIAL)
    partial["status"] = "provisioned_with_errors"
    partial["subscribers"][1]["lastName"] = "Drifted"
    limiter, retry = limits(clock)
    async with open_client(
        target(db, clock),
        read_only=False,
        templates=templates_of(desired),
        limiter=limiter,
        retry=retry,
    ) as client:
        await sandbox_admin(
            client,
            "POST",
            "/seed",
            {
                "customers": [
                    {
                        "externalId": FAILED,
                        # the name its create gave; the org a retry makes carries it
                        "name": failed.name,
                        "status": "error",
                        "packages": list(failed.packages),
                        "address": customer_address(failed.address),
                    },
                    partial,
                ]
            },
        )
        return (await plan_with(client, desired, scope=SCOPE)).plan


async def plan_and_dump(db: Path, clock: Clock) -> tuple[Plan, dict[str, Any]]:
    desired = load_desired(ESTATE)
    limiter, retry = limits(clock)
    async with open_client(
        target(db, clock),
        read_only=False,
        templates=templates_of(desired),
        limiter=limiter,
        retry=retry,
    ) as client:
        plan = (await plan_with(client, desired, scope=SCOPE)).plan
        return plan, await sandbox_admin(client, "GET", "/dump")


@pytest.mark.anyio
async def test_failed_customers_are_retried_and_converge(tmp_path: Path) -> None:
    db, clock = tmp_path / "retry.sqlite", Clock()
    desired = load_desired(ESTATE)
    plan = await seed_and_plan(db, clock)
    changes = {c.address: c for c in plan.changes}

    retry = changes[f"customer/{FAILED}"]
    assert retry.action == "update"
    assert retry.notes[0].startswith("retry: provisioning ended in error (codes: ")
    hq = desired.customers[FAILED].headquarters
    assert [f.after["name"] for f in retry.fields if f.field == "headquarters"] == [hq]
    under_failed = [c for c in plan.changes if c.customer == FAILED and c.kind != "customer"]
    wanted = {
        *(f"location/{FAILED}/{n}" for (e, n) in desired.locations if e == FAILED and n != hq),
        *(f"user/{FAILED}/{m}" for (e, m) in desired.users if e == FAILED),
        # a location made with POST /locations is no calling location: enabled after it
        *(
            f"calling/{FAILED}/{n}"
            for (e, n), loc in desired.locations.items()
            if e == FAILED and n != hq and loc.calling
        ),
        *(
            f"number/{FAILED}/{n}/{number}"
            for (e, n), loc in desired.locations.items()
            if e == FAILED
            for number in loc.numbers or ()
        ),
    }
    assert {c.address for c in under_failed} == wanted
    assert all(c.action == "create" for c in under_failed)
    assert all(f"customer/{FAILED}" in c.depends_on for c in under_failed)

    assert (
        changes[f"customer/{PARTIAL}"]
        .notes[0]
        .startswith("retry: provisioning ended in provisioned_with_errors")
    )
    under_partial = [c for c in plan.changes if c.customer == PARTIAL and c.kind != "customer"]
    assert [(c.action, c.kind) for c in under_partial] == [("update", "user")]
    assert under_partial[0].depends_on == (f"customer/{PARTIAL}",)

    limiter, retry_policy = limits(clock)
    outcome = await apply_directory(
        ESTATE,
        target(db, clock),
        Selection(scope=SCOPE),
        review=Review(checksum=plan.checksum),
        seams=Seams(
            clock=clock,
            sleep=clock.sleep,
            poll=PollPolicy(initial=1.0, deadline=300.0),
            limiter=lambda: limiter,
            retry=retry_policy,
        ),
    )
    assert outcome.result is not None
    failures = [r for r in outcome.result.results if r.status != "done"]
    assert failures == []

    again, dump = await plan_and_dump(db, clock)
    assert again.changes == ()
    assert not [w for w in again.warnings if "error" in w.message]
    statuses = {c["externalId"]: c["status"] for c in dump["customers"]}
    assert statuses[FAILED] == statuses[PARTIAL] == "provisioned"
    names = [(loc["orgId"], loc["name"]) for loc in dump["locations"]]
    assert len(names) == len(set(names))
    emails = [s["email"].lower() for s in dump["subscribers"]]
    assert len(emails) == len(set(emails))
