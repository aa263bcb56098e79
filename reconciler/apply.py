"""Execute a plan: changes in dependency order, concurrently, with failure isolation.

The engine knows nothing about HTTP. It takes a ``Plan`` and an ``Operations`` object (one
``Change`` → the API calls that make it true) and returns an ``ApplyResult``:

- Waves: a change's wave is one more than the deepest wave among the changes it depends on
  (``depends_on`` names plan addresses; an address that is not in the plan is already true and
  imposes nothing). A change starts as soon as every change it depends on is done — a slow
  customer does not hold back another customer's locations — and among ready changes the lower
  wave goes first.
- At most ``concurrency`` changes run at once (the API client's rate limiter is shared below).
- A change that raises is *failed*; every change that depends on it, directly or not, is *skipped*
  with the reason, and is never started. Everything else carries on.
- ``reporter`` is called once per change as it finishes (done, failed or skipped), in the order
  they finish; it must not raise.

The address and action of the change being executed are published through
``reconciler.journal.current_change`` so the journal can label every API write.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from reconciler.api import Limiter, RetryPolicy, WebexClient
from reconciler.desired import load_desired
from reconciler.errors import PlanBlocked, PlanError, PlanMismatch, ReconcilerError, UsageError
from reconciler.journal import Journal, change_context
from reconciler.model import State
from reconciler.operations import IN_FLIGHT, ApiOperations, PollPolicy
from reconciler.plan import Action, Change, Kind, Plan
from reconciler.target import Target, open_client
from reconciler.workflow import (
    Planned,
    Progress,
    check_named_customers,
    plan_with,
    templates_of,
)

log = logging.getLogger(__name__)

Status = Literal["done", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("done", "failed", "skipped")

#: Changes in progress at once, per request the client may have in flight (Settings
#: ``concurrency``): most of a customer change is spent waiting for provisioning, not sending.
DEFAULT_CONCURRENCY_FACTOR = 4


class Operations(Protocol):
    """Makes one change true through the API; returns a short outcome (e.g. ``"created"``).

    Raises a ``ReconcilerError`` when the change cannot be made; any other exception is treated
    the same way (and logged with its traceback, since it is a bug).
    """

    async def run(self, change: Change) -> str: ...


@dataclass(frozen=True, slots=True)
class ChangeResult:
    address: str
    action: Action
    kind: Kind
    status: Status
    message: str = ""
    #: Wall time spent on the change (0 for skipped ones).
    seconds: float = 0.0
    wave: int = 0

    def to_data(self) -> dict[str, object]:
        return {
            "address": self.address,
            "action": self.action,
            "kind": self.kind,
            "status": self.status,
            "message": self.message,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What happened to each change of the plan, in plan order."""

    results: tuple[ChangeResult, ...] = ()

    def with_status(self, status: Status) -> tuple[ChangeResult, ...]:
        return tuple(r for r in self.results if r.status == status)

    @property
    def done(self) -> tuple[ChangeResult, ...]:
        return self.with_status("done")

    @property
    def failed(self) -> tuple[ChangeResult, ...]:
        return self.with_status("failed")

    @property
    def skipped(self) -> tuple[ChangeResult, ...]:
        return self.with_status("skipped")

    @property
    def ok(self) -> bool:
        """True when every change is done (a skipped change means something failed)."""
        return all(r.status == "done" for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.with_status(s)) for s in STATUSES}

    def to_data(self) -> dict[str, object]:
        return {"counts": self.counts, "results": [r.to_data() for r in self.results]}


Reporter = Callable[[ChangeResult, int, int], None]
"""Called with (result, number finished so far, total) as each change finishes."""


def dependency_indices(changes: Sequence[Change]) -> list[tuple[int, ...]]:
    """For each change, the indices of the plan changes it depends on (addresses outside the
    plan are ignored; a change never depends on itself)."""
    by_address: dict[str, list[int]] = {}
    for i, change in enumerate(changes):
        by_address.setdefault(change.address, []).append(i)
    deps: list[tuple[int, ...]] = []
    for i, change in enumerate(changes):
        found = sorted({j for a in change.depends_on for j in by_address.get(a, ()) if j != i})
        deps.append(tuple(found))
    return deps


def waves(changes: Sequence[Change]) -> list[int]:
    """The wave of each change: 0 without dependencies in the plan, else 1 + the deepest
    dependency. Raises ``PlanError`` on a dependency cycle."""
    deps = dependency_indices(changes)
    level: list[int | None] = [None] * len(changes)
    visiting: set[int] = set()

    def visit(i: int) -> int:
        known = level[i]
        if known is not None:
            return known
        if i in visiting:
            raise PlanError(f"dependency cycle through {changes[i].address}")
        visiting.add(i)
        # Iterative depth would only matter for chains far longer than any plan has.
        value = 1 + max((visit(j) for j in deps[i]), default=-1)
        visiting.discard(i)
        level[i] = value
        return value

    return [visit(i) for i in range(len(changes))]


async def apply_plan(
    plan: Plan,
    operations: Operations,
    *,
    concurrency: int = 8,
    reporter: Reporter | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ApplyResult:
    """Run every change of ``plan`` through ``operations``; see the module docstring."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    changes = plan.changes
    total = len(changes)
    level = waves(changes)
    deps = dependency_indices(changes)
    dependents: list[list[int]] = [[] for _ in changes]
    for i, ds in enumerate(deps):
        for j in ds:
            dependents[j].append(i)
    waiting = [len(ds) for ds in deps]
    results: list[ChangeResult | None] = [None] * total
    ready: list[tuple[int, int]] = [(level[i], i) for i in range(total) if not deps[i]]
    heapq.heapify(ready)
    running: dict[asyncio.Task[str], tuple[int, float]] = {}
    finished = 0

    def record(result: ChangeResult, i: int) -> None:
        nonlocal finished
        results[i] = result
        finished += 1
        if reporter is not None:
            reporter(result, finished, total)

    def skip_dependents_of(i: int, cause: str) -> None:
        stack = list(dependents[i])
        while stack:
            k = stack.pop()
            if results[k] is not None:
                continue
            c = changes[k]
            record(
                ChangeResult(
                    c.address, c.action, c.kind, "skipped", f"not attempted: {cause}", wave=level[k]
                ),
                k,
            )
            stack.extend(dependents[k])

    async def execute(change: Change) -> str:
        with change_context(change.address, change.action):
            return await operations.run(change)

    try:
        while ready or running:
            while ready and len(running) < concurrency:
                _, i = heapq.heappop(ready)
                if results[i] is not None:  # skipped while it was queued
                    continue
                task = asyncio.create_task(execute(changes[i]), name=changes[i].address)
                running[task] = (i, clock())
            if not running:
                continue
            finished_tasks, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            # Plan order among changes that finished together keeps reports deterministic.
            for task in sorted(finished_tasks, key=lambda t: running[t][0]):
                i, started = running.pop(task)
                change = changes[i]
                seconds = clock() - started
                exc: BaseException | None = (
                    ReconcilerError("cancelled before it finished")
                    if task.cancelled()
                    else task.exception()
                )
                if exc is None:
                    record(
                        ChangeResult(
                            change.address,
                            change.action,
                            change.kind,
                            "done",
                            task.result(),
                            seconds,
                            level[i],
                        ),
                        i,
                    )
                    for k in dependents[i]:
                        waiting[k] -= 1
                        if waiting[k] == 0 and results[k] is None:
                            heapq.heappush(ready, (level[k], k))
                    continue
                if not isinstance(exc, ReconcilerError):
                    log.error("unexpected error in %s", change.address, exc_info=exc)
                message = str(exc) or type(exc).__name__
                if not isinstance(exc, ReconcilerError):
                    message = f"unexpected error: {type(exc).__name__}: {message}"
                record(
                    ChangeResult(
                        change.address,
                        change.action,
                        change.kind,
                        "failed",
                        message,
                        seconds,
                        level[i],
                    ),
                    i,
                )
                skip_dependents_of(i, f"{change.address} failed")
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    return ApplyResult(tuple(r for r in results if r is not None))


# -- the apply workflow: re-plan, check, execute ----------------------------------------------


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
        and live.live.status in IN_FLIGHT
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
        waiter = ApiOperations(client, desired, planned.live, poll=poll, clock=clock, sleep=sleep)
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
    """Load ``directory``, re-plan against live Partner Hub, refuse a plan that is not the
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
        operations = ApiOperations(
            client, planned.desired, planned.live, poll=poll, clock=clock, sleep=sleep
        )
        cap = concurrency or DEFAULT_CONCURRENCY_FACTOR * max(1, desired.settings.concurrency)
        result = await apply_plan(plan, operations, concurrency=cap, reporter=reporter, clock=clock)
    return ApplyRun(plan, result)
