"""The apply workflow: load the YAML, re-plan against live Partner Hub (after waiting for the
customer jobs an interrupted run left going), refuse a plan that is not the reviewed one or is
blocked, confirm, then execute it with :func:`reconciler.apply.engine.apply_plan`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from reconciler.api import Limiter, RetryPolicy, WebexClient
from reconciler.apply.engine import ApplyResult, Reporter, apply_plan
from reconciler.desired import load_desired
from reconciler.errors import PlanBlocked, PlanMismatch, UsageError
from reconciler.journal import Journal
from reconciler.live import Progress
from reconciler.model import CUSTOMER_IN_FLIGHT, State
from reconciler.operations import ApiOperations, PollPolicy
from reconciler.plan import Plan
from reconciler.target import Target, open_client
from reconciler.workflow import (
    Planned,
    check_named_customers,
    plan_with,
    resolve_scope,
    templates_of,
)

#: Changes in progress at once, per request the client may have in flight (Settings
#: ``concurrency``): most of a customer change is spent waiting for provisioning, not sending.
DEFAULT_CONCURRENCY_FACTOR = 4


def describe_mismatch(fresh: Plan, expected_checksum: str, reviewed: Plan | None) -> str:
    """Why the fresh plan is not the reviewed one, change by change when the reviewed plan is
    known (``--plan FILE``), else by checksum and the fresh plan's changes (``--checksum``)."""
    lines = [
        f"the plan has changed since it was reviewed: checksum {fresh.checksum} now, "
        f"{expected_checksum} reviewed; nothing was applied. Review the new plan and apply it."
    ]
    if reviewed is not None:
        before = {c.address: c for c in reviewed.changes}
        after = {c.address: c for c in fresh.changes}
        for address in sorted(before.keys() | after.keys()):
            old, new = before.get(address), after.get(address)
            if old is None and new is not None:
                lines.append(f"  new:     {new.action} {address}")
            elif new is None and old is not None:
                lines.append(f"  gone:    {old.action} {address}")
            elif old != new and old is not None and new is not None:
                what = sorted(
                    {f.field for f in old.fields} ^ {f.field for f in new.fields}
                    | {f.field for f in new.fields if f not in old.fields}
                )
                detail = f" ({', '.join(what)})" if what else ""
                lines.append(f"  differs: {new.action} {address}{detail}")
    else:
        shown = fresh.changes[:20]
        lines.append(f"  the fresh plan has {len(fresh.changes)} change(s):")
        lines.extend(f"    {c.action} {c.address}" for c in shown)
        if len(fresh.changes) > len(shown):
            lines.append(f"    … and {len(fresh.changes) - len(shown)} more")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ApplyRun:
    """The plan that was executed (fresh, against live state) and what happened; ``result``
    is None when the operator declined at the prompt (nothing was written)."""

    plan: Plan
    result: ApplyResult | None
    requests: int = 0


Confirm = Callable[[Plan], bool]

#: The phase name ``progress`` gets while customer jobs of an earlier run are waited for.
WAITING_PHASE = "customer jobs still running"


def in_flight_customers(planned: Planned, scope: frozenset[str] | None) -> frozenset[str]:
    """The desired customers in scope whose live status is in flight (a job is running)."""
    return frozenset(
        ext
        for ext, live in planned.live.customers.items()
        if ext in planned.desired.customers
        and (scope is None or ext in scope)
        and live.live is not None
        and live.live.status in CUSTOMER_IN_FLIGHT
    )


async def plan_after_jobs(
    client: WebexClient,
    desired: State,
    *,
    scope: frozenset[str] | None,
    progress: Progress | None = None,
    poll: PollPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Planned:
    """Plan, after waiting for the customer jobs an interrupted run left going.

    The planner issues nothing for a customer in flight (nor its locations and users), so a
    plan made while a job runs would leave that customer's work undone and still count as
    converged. Each customer found in flight is waited for (within the poll deadline) and the
    plan made again, until a plan finds none in flight that was not already waited for: a
    write of the interrupted run that Partner Hub acts on late is picked up too, and a job
    still running after the deadline is left to the plan's warning (the next run)."""
    planned = await plan_with(client, desired, scope=scope, progress=progress)
    waited: set[str] = set()
    while in_flight := in_flight_customers(planned, scope) - waited:
        if progress is not None:
            progress(WAITING_PHASE, 0, len(in_flight))
        waiter = ApiOperations(client, planned.live, poll=poll, clock=clock, sleep=sleep)
        await waiter.settle(in_flight)
        if progress is not None:
            progress(WAITING_PHASE, len(in_flight), len(in_flight))
        waited |= in_flight
        planned = await plan_with(client, desired, scope=scope, progress=progress)
    return planned


async def apply_directory(
    directory: Path,
    target: Target,
    *,
    scope: frozenset[str] | None = None,
    named: Collection[str] = (),
    changed_since: str | None = None,
    expected_checksum: str | None = None,
    reviewed: Plan | None = None,
    force: bool = False,
    confirm: Confirm | None = None,
    concurrency: int | None = None,
    journal: Journal | None = None,
    reporter: Reporter | None = None,
    progress: Progress | None = None,
    poll: PollPolicy | None = None,
    limiter: Limiter | None = None,
    retry: RetryPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ApplyRun:
    """Load ``directory``, re-plan against live Partner Hub (``scope`` widened by the customers
    changed since the git ref ``changed_since``), refuse a plan that is not the
    reviewed one (``PlanMismatch``) or is blocked (``PlanBlocked``, unless ``force``), ask
    ``confirm`` (when given), then execute. Nothing is written before every check passed."""
    if reviewed is not None:
        if expected_checksum and expected_checksum != reviewed.checksum:
            raise UsageError(
                f"--checksum {expected_checksum} is not the checksum of the --plan file "
                f"({reviewed.checksum})"
            )
        expected_checksum = reviewed.checksum
    desired = load_desired(directory)
    check_named_customers(desired, named)
    if changed_since is not None:
        scope = resolve_scope(directory, scope or (), changed_since, desired)
    async with open_client(
        target,
        read_only=False,
        templates=templates_of(desired),
        settings=desired.settings,
        limiter=limiter,
        retry=retry,
        wrap_transport=journal.transport if journal is not None else None,
    ) as client:
        planned = await plan_after_jobs(
            client, desired, scope=scope, progress=progress, poll=poll, clock=clock, sleep=sleep
        )
        plan = planned.plan
        if expected_checksum and plan.checksum != expected_checksum:
            raise PlanMismatch(describe_mismatch(plan, expected_checksum, reviewed))
        if plan.is_blocked and not force:
            raise PlanBlocked([f"{n.address}: {n.message}" for n in plan.blocked])
        if plan.is_empty:
            return ApplyRun(plan, ApplyResult())
        if confirm is not None and not confirm(plan):
            return ApplyRun(plan, None)
        operations = ApiOperations(client, planned.live, poll=poll, clock=clock, sleep=sleep)
        cap = concurrency or DEFAULT_CONCURRENCY_FACTOR * max(1, desired.settings.concurrency)
        result = await apply_plan(plan, operations, concurrency=cap, reporter=reporter, clock=clock)
    return ApplyRun(plan, result)
