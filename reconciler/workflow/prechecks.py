"""Webex's prechecks for a plan: provisioning (``/validate``) for its customer and user
creates, and the safe-delete check (``precheckForDeletion``) for its calling disables.

The safe-delete check answers for the location as it is now, before the plan runs: users the
plan itself moves out or removes first (they leave in the same apply, ahead of the disable)
are not counted against it; anything else that blocks (the last calling location, users the
plan leaves there, trunks, workspaces, virtual lines, a pending number order, or a check
that needs ``forceDelete``, which apply never sends) is a failed precheck, as the job would
fail on it (``Safe delete checks failed.``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from reconciler import bodies
from reconciler.api import WebexClient
from reconciler.errors import BadRequest, Conflict, NotFound
from reconciler.model import State
from reconciler.plan import Change, CustomerFacts, Notice, Plan, UserFacts


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
        if change.kind != "calling"
        else _delete_check(client, live, plan, change)
        for change in plan.changes
        if (change.action == "create" and change.kind in ("customer", "user"))
        or (change.action == "delete" and change.kind == "calling")
    ]
    return tuple(await asyncio.gather(*checks))


def _leaving(plan: Plan, ext: str, name: str) -> int:
    """How many users the plan moves out of, or removes from, live location ``name``."""
    count = 0
    for change in plan.changes:
        facts = change.facts
        if change.kind != "user" or change.customer != ext or not isinstance(facts, UserFacts):
            continue
        if facts.leaves_location == name and (
            change.action == "delete" or facts.sets_location is not None
        ):
            count += 1
    return count


#: Counts of the check's ``blocking`` object that nothing in a plan removes.
_BLOCKING_COUNTS = (
    ("trunksInUseCount", "trunks in use"),
    ("workspacesInUseCount", "workspaces"),
    ("virtualLineInUseCount", "virtual lines"),
)


def still_blocking(answer: Mapping[str, Any], leaving: int) -> list[str]:
    """What in a safe-delete answer would still block the disable once the plan's own user
    moves and removals ran before it."""
    blocking = answer.get("blocking")
    blocking = blocking if isinstance(blocking, Mapping) else {}
    found: list[str] = []
    if blocking.get("lastLocation"):
        found.append("it is the org's last calling location")
    users = blocking.get("usersInUseCount")
    if isinstance(users, int) and users > leaving:
        found.append(f"{users - leaving} user(s) the plan neither moves out nor removes")
    for key, what in _BLOCKING_COUNTS:
        value = blocking.get(key)
        if isinstance(value, int) and value > 0:
            found.append(f"{value} {what}")
    if blocking.get("numbersOrderPending"):
        found.append("a number order is pending")
    status = answer.get("locationDeleteStatus")
    if status == "FORCE_REQUIRED":
        found.append("it needs forceDelete (features or trunks), which apply does not send")
    elif status != "UNBLOCKED" and not found and not (isinstance(users, int) and users):
        found.append(f"locationDeleteStatus {status}")
    return found


async def _delete_check(client: WebexClient, live: State, plan: Plan, change: Change) -> Notice:
    ext, name = change.customer, change.name or ""
    customer, location = live.customers.get(ext), live.locations.get((ext, name))
    org_id = customer.live.org_id if customer is not None and customer.live is not None else None
    location_id = location.live.id if location is not None and location.live is not None else None
    if org_id is None or location_id is None:
        return Notice(change.address, "failed: the live location or its org is not known")
    try:
        answer = await client.precheck_location_delete(location_id, org_id)
    except (BadRequest, Conflict, NotFound) as exc:
        return Notice(change.address, f"failed: {exc}")
    leaving = _leaving(plan, ext, name)
    blockers = still_blocking(answer, leaving)
    if blockers:
        return Notice(change.address, "failed: the disable is blocked: " + "; ".join(blockers))
    moved = f"; {leaving} user(s) leave first in this plan" if leaving else ""
    return Notice(change.address, f"ok: safe to disable{moved}")


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
