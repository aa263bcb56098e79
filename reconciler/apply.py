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

``around``, when given, wraps the execution of each change (a context manager per change):
the workflow labels every API write made inside it with the change, for the journal.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Literal, Protocol

from reconciler.errors import PlanError, ReconcilerError
from reconciler.plan import Action, Change, Kind, Plan

log = logging.getLogger(__name__)

Status = Literal["done", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("done", "failed", "skipped")


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

Around = Callable[[Change], AbstractContextManager[object]]
"""A context manager entered around the execution of one change."""


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


def waves(changes: Sequence[Change], deps: Sequence[tuple[int, ...]] | None = None) -> list[int]:
    """The wave of each change: 0 without dependencies in the plan, else 1 + the deepest
    dependency (``deps``: ``dependency_indices(changes)`` when already at hand). Raises
    ``PlanError`` on a dependency cycle."""
    if deps is None:
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
    around: Around | None = None,
) -> ApplyResult:
    """Run every change of ``plan`` through ``operations``; see the module docstring."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    run = _Run(plan.changes, operations, reporter, clock, around or (lambda c: nullcontext()))
    try:
        while run.ready or run.running:
            run.start(concurrency)
            if not run.running:
                continue
            finished, _ = await asyncio.wait(run.running, return_when=asyncio.FIRST_COMPLETED)
            # Plan order among changes that finished together keeps reports deterministic.
            for task in sorted(finished, key=lambda t: run.running[t][0]):
                run.finish(task)
    finally:
        for task in run.running:
            task.cancel()
        if run.running:
            await asyncio.gather(*run.running, return_exceptions=True)
    return ApplyResult(tuple(r for r in run.results if r is not None))


class _Run:
    """The bookkeeping of one ``apply_plan``: what is ready, running, finished."""

    def __init__(
        self,
        changes: Sequence[Change],
        operations: Operations,
        reporter: Reporter | None,
        clock: Callable[[], float],
        around: Around,
    ) -> None:
        self.changes, self.operations, self.reporter = changes, operations, reporter
        self.clock, self.around = clock, around
        deps = dependency_indices(changes)
        self.level = waves(changes, deps)
        self.dependents: list[list[int]] = [[] for _ in changes]
        for i, ds in enumerate(deps):
            for j in ds:
                self.dependents[j].append(i)
        self.waiting = [len(ds) for ds in deps]
        self.results: list[ChangeResult | None] = [None] * len(changes)
        self.ready = [(self.level[i], i) for i in range(len(changes)) if not deps[i]]
        heapq.heapify(self.ready)
        self.running: dict[asyncio.Task[str], tuple[int, float]] = {}
        self.finished = 0

    async def _execute(self, change: Change) -> str:
        with self.around(change):
            return await self.operations.run(change)

    def start(self, concurrency: int) -> None:
        """Start ready changes, lowest wave first, up to ``concurrency`` running."""
        while self.ready and len(self.running) < concurrency:
            _, i = heapq.heappop(self.ready)
            if self.results[i] is not None:  # skipped while it was queued
                continue
            change = self.changes[i]
            task = asyncio.create_task(self._execute(change), name=change.address)
            self.running[task] = (i, self.clock())

    def finish(self, task: asyncio.Task[str]) -> None:
        i, started = self.running.pop(task)
        change = self.changes[i]
        seconds = self.clock() - started
        exc: BaseException | None = (
            ReconcilerError("cancelled before it finished")
            if task.cancelled()
            else task.exception()
        )
        if exc is None:
            self._record(i, "done", task.result(), seconds)
            for k in self.dependents[i]:
                self.waiting[k] -= 1
                if self.waiting[k] == 0 and self.results[k] is None:
                    heapq.heappush(self.ready, (self.level[k], k))
            return
        if not isinstance(exc, ReconcilerError):
            log.error("unexpected error in %s", change.address, exc_info=exc)
        message = str(exc) or type(exc).__name__
        if not isinstance(exc, ReconcilerError):
            message = f"unexpected error: {type(exc).__name__}: {message}"
        self._record(i, "failed", message, seconds)
        self._skip_dependents_of(i, f"{change.address} failed")

    def _record(self, i: int, status: Status, message: str, seconds: float = 0.0) -> None:
        c = self.changes[i]
        result = ChangeResult(c.address, c.action, c.kind, status, message, seconds, self.level[i])
        self.results[i] = result
        self.finished += 1
        if self.reporter is not None:
            self.reporter(result, self.finished, len(self.changes))

    def _skip_dependents_of(self, i: int, cause: str) -> None:
        stack = list(self.dependents[i])
        while stack:
            k = stack.pop()
            if self.results[k] is not None:
                continue
            self._record(k, "skipped", f"not attempted: {cause}")
            stack.extend(self.dependents[k])
