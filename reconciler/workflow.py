"""What the CLI and tests call: load desired state, read live state, plan, precheck.

The commands stay thin (options → one call here → render → exit code); ``apply`` re-plans through
the same ``plan_with`` so the plan it executes is computed exactly as the reviewed one was.
``make_plan`` opens its client read-only: the HTTP layer refuses every write before it is sent
(only GETs and the two ``/validate`` precheck POSTs go out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler import bodies, planner
from reconciler.api import WebexClient
from reconciler.desired import customers_changed_since, load_desired
from reconciler.errors import BadRequest, Conflict, NotFound, UsageError
from reconciler.live import Progress, read_live
from reconciler.model import State
from reconciler.plan import Change, CustomerFacts, Notice, Plan, UserFacts
from reconciler.target import Target, open_client

EXIT_OK = 0
EXIT_CHANGES = 2
EXIT_BLOCKED = 3


@dataclass(frozen=True, slots=True)
class Planned:
    """A plan with the two states it was computed from (``scope``: the customers it covers,
    None for all)."""

    desired: State
    live: State
    plan: Plan
    scope: frozenset[str] | None = None


def resolve_scope(
    directory: Path,
    customer: Collection[str],
    changed_since: str | None,
    desired: State | None = None,
) -> frozenset[str] | None:
    """The externalIds in scope: ``--customer`` values plus the customers changed since the
    git ref (``desired``: the directory already loaded); None when neither option is given
    (everything is in scope)."""
    if not customer and changed_since is None:
        return None
    scope = set(customer)
    if changed_since is not None:
        scope |= customers_changed_since(directory, changed_since, desired)
    return frozenset(scope)


def plan_exit_code(plan: Plan, *, detailed_exitcode: bool, force: bool) -> int:
    """SPEC §3: 3 when blocked (unless forced); with ``--detailed-exitcode`` 2 when there are
    changes and 0 when there are none; otherwise 0."""
    if plan.is_blocked and not force:
        return EXIT_BLOCKED
    if detailed_exitcode and not plan.is_empty:
        return EXIT_CHANGES
    return EXIT_OK


def templates_of(desired: State) -> dict[str, str]:
    """Template name → provisioningId, for the templates that have one (a sandbox target
    registers them, as an operator creates them in Partner Hub)."""
    return {n: t.provisioning_id for n, t in desired.templates.items() if t.provisioning_id}


def check_named_customers(desired: State, named: Collection[str]) -> None:
    """``--customer`` values must name customers of the YAML (one message for all of them)."""
    unknown = sorted(set(named) - set(desired.customers))
    if unknown:
        raise UsageError("--customer names no customer of the desired state: " + ", ".join(unknown))


async def make_plan(
    directory: Path,
    target: Target,
    *,
    scope: frozenset[str] | None = None,
    named: Collection[str] = (),
    changed_since: str | None = None,
    precheck: bool = False,
    progress: Progress | None = None,
) -> Planned:
    """Load ``directory``, read Partner Hub (``scope``: only these customers, widened by the
    customers changed since the git ref ``changed_since``) through a read-only client, and
    plan; with ``precheck``, run Webex's provisioning prechecks for the planned customer and
    user creates."""
    desired = load_desired(directory)
    check_named_customers(desired, named)
    if changed_since is not None:
        scope = resolve_scope(directory, scope or (), changed_since, desired)
    async with open_client(
        target, read_only=True, templates=templates_of(desired), settings=desired.settings
    ) as client:
        return await plan_with(client, desired, scope=scope, precheck=precheck, progress=progress)


async def plan_with(
    client: WebexClient,
    desired: State,
    *,
    scope: frozenset[str] | None = None,
    precheck: bool = False,
    progress: Progress | None = None,
) -> Planned:
    """Read live state through ``client`` and plan against ``desired`` (shared with apply)."""
    live = await read_for_plan(client, desired, scope=scope, progress=progress)
    plan = planner.plan(desired, live, scope=scope)
    if precheck and plan.changes:
        plan = replace(plan, prechecks=await run_prechecks(client, live, plan))
    return Planned(desired, live, plan, scope)


async def read_for_plan(
    client: WebexClient,
    desired: State,
    *,
    scope: frozenset[str] | None,
    progress: Progress | None = None,
) -> State:
    """The live state a plan needs: the customers in scope with their locations and users.

    An unscoped plan reads the locations and users of the customers the YAML names only; the
    other live customers come without them, just to be shown as unmanaged.
    """
    if scope is not None:
        return await read_live(client, customers=scope, progress=progress)
    return await read_live(
        client, customers=frozenset(desired.customers), others=True, progress=progress
    )


def _precheck_message(answer: Mapping[str, Any]) -> str:
    info = answer.get("info")
    items = info if isinstance(info, list) else [info] if isinstance(info, dict) else []
    described = "; ".join(
        str(i.get("description", "")).strip() for i in items if isinstance(i, dict)
    )
    return "ok: " + (described or str(answer.get("message", "success")))


async def run_prechecks(client: WebexClient, live: State, plan: Plan) -> tuple[Notice, ...]:
    """One ``/validate`` call per planned customer create and user create, concurrently under
    the client's limits; a 4xx answer is a failed precheck (shown next to the change), anything
    else is an error of the run. Results come back in plan order."""
    # A customer this plan creates has no ID yet: its subscribers are checked against its
    # template instead.
    created = {
        c.customer: c.facts.provisioning_id
        for c in plan.changes
        if c.kind == "customer" and isinstance(c.facts, CustomerFacts)
    }
    checks = [
        _precheck(client, live, created, change)
        for change in plan.changes
        if change.action == "create" and change.kind != "location"
    ]
    return tuple(await asyncio.gather(*checks))


async def _precheck(
    client: WebexClient, live: State, created: Mapping[str, str | None], change: Change
) -> Notice:
    body: dict[str, Any]
    if change.kind == "customer":
        if not bodies.facts_of(change, CustomerFacts).provisioning_id:
            return Notice(change.address, "failed: template has no provisioningId")
        body = bodies.precheck_for(change)
        call = client.precheck_customer
    else:
        user = bodies.facts_of(change, UserFacts).user
        live_customer = live.customers.get(change.customer)
        live_location = live.locations.get((change.customer, (user and user.location) or ""))
        body = bodies.precheck_for(
            change,
            customer_id=live_customer.live.id
            if live_customer is not None and live_customer.live is not None
            else None,
            provisioning_id=None if live_customer is not None else created.get(change.customer),
            location_id=live_location.live.id
            if live_location is not None and live_location.live is not None
            else None,
        )
        call = client.precheck_subscriber
    try:
        answer = await call(body)
    except (BadRequest, Conflict, NotFound) as exc:
        return Notice(change.address, f"failed: {exc}")
    return Notice(change.address, _precheck_message(answer))
