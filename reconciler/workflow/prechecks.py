"""Webex's provisioning prechecks (``/validate``) for a plan's customer and user creates."""

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
        for change in plan.changes
        if change.action == "create" and change.kind in ("customer", "user")
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
