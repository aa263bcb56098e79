"""Apply: re-plan against live Partner Hub (after waiting for the customer jobs an interrupted
run left going), refuse a plan that is not the reviewed one or is blocked, confirm, then
execute it with :func:`reconciler.apply.apply_plan`, each API write labelled with its change
for the journal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler import review as coverage_of
from reconciler.api import WebexClient
from reconciler.apply import ApplyResult, Reporter, apply_plan
from reconciler.errors import PlanBlocked, PlanMismatch, ScopesMissing, UsageError
from reconciler.journal import Journal, change_context
from reconciler.live import Differs, Json, Progress, WholePeople
from reconciler.model import CUSTOMER_IN_FLIGHT, Settings, State, User
from reconciler.operations import ApiOperations
from reconciler.plan import Change, Plan
from reconciler.scopes import missing_write_scopes
from reconciler.workflow.connect import Target
from reconciler.workflow.plan import Planned, plan_with
from reconciler.workflow.seams import REAL_SEAMS, Seams
from reconciler.workflow.session import (
    EVERY_CUSTOMER,
    Pending,
    Selection,
    Session,
    open_session,
)

#: Changes in progress at once, per request the client may have in flight (Settings
#: ``concurrency``): most of a customer change is spent waiting for provisioning, not sending.
DEFAULT_CONCURRENCY_FACTOR = 4


@dataclass(frozen=True, slots=True)
class Review:
    """What the fresh plan is held to: the reviewed ``checksum`` and/or the reviewed ``plan``
    (``--plan FILE``, whose scope is used when the selection names none), or ``covered_by``:
    reviewed plans (``--reviewed FILE``, one per merged pull request) whose target states must
    cover every fresh change (:mod:`reconciler.review`); ``force`` applies a blocked plan."""

    checksum: str | None = None
    plan: Plan | None = None
    force: bool = False
    covered_by: tuple[Plan, ...] = ()

    def scope(self) -> frozenset[str] | None:
        """The scope the reviewed plans stand for, used when the selection names none: the
        ``--plan`` file's, or the union of the ``--reviewed`` plans' when every one is scoped
        (one plan of the whole estate makes it the whole estate)."""
        if self.plan is not None:
            return frozenset(self.plan.scope) if self.plan.scope else None
        if not self.covered_by or any(not p.scope for p in self.covered_by):
            return None
        return frozenset(ext for p in self.covered_by for ext in p.scope)

    def expected(self) -> str | None:
        """The checksum to hold the fresh plan to (UsageError when the two disagree)."""
        if self.plan is None:
            return self.checksum
        if self.checksum and self.checksum != self.plan.checksum:
            raise UsageError(
                f"--checksum {self.checksum} is not the checksum of the --plan file "
                f"({self.plan.checksum})"
            )
        return self.plan.checksum


NO_REVIEW = Review()


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
"""Asked with the fresh plan before anything is written; False cancels."""

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
    seams: Seams = REAL_SEAMS,
    concurrency: int = Settings().concurrency,
    pending: Pending | None = None,
) -> Planned:
    """Plan, after waiting for the customer jobs an interrupted run left going
    (``pending``: the whole desired state is still loading, as for ``plan_with``).

    The planner issues nothing for a customer in flight (nor its locations and users), so a
    plan made while a job runs would leave that customer's work undone and still count as
    converged. Each customer found in flight is waited for (within the poll deadline) and the
    plan made again, until a plan finds none in flight that was not already waited for: a
    write of the interrupted run that Partner Hub acts on late is picked up too, and a job
    still running after the deadline is left to the plan's warning (the next run)."""

    def whole() -> State | None:
        """The whole desired state, once there is one."""
        if pending is None or desired is not settled:
            return desired
        loading = pending.loading
        if loading.done() and not loading.cancelled() and loading.exception() is None:
            return loading.result().state
        return None

    async def again(loading: Pending | None = None) -> Planned:
        return await plan_with(
            client,
            desired,
            scope=scope,
            progress=progress,
            concurrency=concurrency,
            whole_people=WholePeople(person_differs(whole)),
            pending=loading,
        )

    settled = desired
    planned = await again(pending)
    desired = planned.desired  # whole from here on
    waited: set[str] = set()
    while in_flight := in_flight_customers(planned, scope) - waited:
        if progress is not None:
            progress(WAITING_PHASE, 0, len(in_flight))
        await _operations(client, planned.live, seams).settle(in_flight)
        if progress is not None:
            progress(WAITING_PHASE, len(in_flight), len(in_flight))
        waited |= in_flight
        planned = await again()
    return planned


def person_differs(desired: State | Callable[[], State | None]) -> Differs:
    """Whether the desired user under a key differs from a person as read in a field its
    update sets (as the planner compares them: an undeclared field is not compared, roles
    always are): a superset of the users the plan updates, kept whole for their PUT.
    ``desired`` may be given as a function: the whole state when a person is read, None
    while it is still loading (then None: not known yet)."""

    def differs(ext: str, email: str, live: User) -> bool | None:
        state = desired() if callable(desired) else desired
        if state is None:
            return None
        user = state.users.get((ext, email))
        if user is None:
            return False
        pairs = (
            (user.first_name, live.first_name),
            (user.last_name, live.last_name),
            (user.location, live.location),
            (user.phone_number, live.phone_number),
            (user.extension, live.extension),
        )
        return any(d is not None and d != v for d, v in pairs) or list(user.roles) != list(
            live.roles
        )

    return differs


def people_to_reuse(planned: Planned) -> dict[str, Json]:
    """The people read whole that an update may PUT back without a GET: not those of a
    customer the plan changes too (a package change there can change their licenses before
    their turn)."""
    customers = {c.customer for c in planned.plan.changes if c.kind == "customer"}
    return {pid: fields for pid, (ext, fields) in planned.people.items() if ext not in customers}


def _operations(
    client: WebexClient, live: State, seams: Seams, people: Mapping[str, Json] | None = None
) -> ApiOperations:
    return ApiOperations(
        client, live, poll=seams.poll, clock=seams.clock, sleep=seams.sleep, people=people
    )


def _labelled(change: Change) -> AbstractContextManager[None]:
    """Every API write made while ``change`` runs is journaled with its address and action."""
    return change_context(change.address, change.action)


async def apply_directory(
    directory: Path,
    target: Target,
    selection: Selection = EVERY_CUSTOMER,
    *,
    review: Review = NO_REVIEW,
    confirm: Confirm | None = None,
    concurrency: int | None = None,
    journal: Journal | None = None,
    reporter: Reporter | None = None,
    progress: Progress | None = None,
    seams: Seams = REAL_SEAMS,
) -> ApplyRun:
    """Load ``directory``, re-plan against live Partner Hub, refuse a plan that is not the
    reviewed one or has a change no ``review.covered_by`` plan covers (``PlanMismatch``), or is
    blocked (``PlanBlocked``, unless ``review.force``),
    ask ``confirm`` (when given), then execute (``concurrency``: changes at once, default
    ``DEFAULT_CONCURRENCY_FACTOR`` × Settings concurrency). Nothing is written before every
    check passed."""
    expected = review.expected()
    # A reviewed plan's scope stands when the selection names none.
    scope = review.scope()
    if (
        scope is not None
        and not selection.customers
        and selection.changed_since is None
        and selection.scope is None
    ):
        selection = replace(selection, scope=scope)
    wrap = journal.transport if journal is not None else None
    async with open_session(
        directory,
        target,
        selection,
        read_only=False,
        seams=seams,
        wrap_transport=wrap,
        overlap=True,
    ) as run:
        planned = await plan_after_jobs(
            run.client,
            run.desired,
            scope=run.scope,
            progress=progress,
            seams=seams,
            concurrency=run.concurrency,
            pending=run.pending,
        )
        plan = planned.plan
        _hold_to_review(plan, review, expected)
        if plan.is_blocked and not review.force:
            raise PlanBlocked([f"{n.address}: {n.message}" for n in plan.blocked])
        if plan.is_empty:
            return ApplyRun(plan, ApplyResult())
        granted = getattr(run.client.session.tokens, "scopes", None)
        if granted is not None and (missing := missing_write_scopes(plan, granted)):
            raise ScopesMissing(missing)
        if confirm is not None and not confirm(plan):
            return ApplyRun(plan, None)
        return ApplyRun(plan, await _execute(run, planned, concurrency, reporter))


def _hold_to_review(plan: Plan, review: Review, expected: str | None) -> None:
    """``PlanMismatch`` unless the fresh plan is the reviewed one (``expected``: its
    checksum) and every change is covered by the reviewed plans."""
    if expected and plan.checksum != expected:
        raise PlanMismatch(describe_mismatch(plan, expected, review.plan))
    if review.covered_by:
        check = coverage_of.coverage(plan, review.covered_by)
        if not check.ok:
            raise PlanMismatch(coverage_of.describe(check))


async def _execute(
    run: Session, planned: Planned, concurrency: int | None, reporter: Reporter | None
) -> ApplyResult:
    settings = run.desired.settings
    cap = concurrency or DEFAULT_CONCURRENCY_FACTOR * max(1, settings.concurrency)
    poll = replace(run.seams.poll, numbers_deadline=settings.provider_numbers_wait)
    return await apply_plan(
        planned.plan,
        _operations(
            run.client, planned.live, replace(run.seams, poll=poll), people_to_reuse(planned)
        ),
        concurrency=cap,
        reporter=reporter,
        clock=run.seams.clock,
        around=_labelled,
    )
