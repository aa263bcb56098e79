"""Moving a user's email from one customer to another: Webex keeps the person in the first
org after its subscription is removed, so the plan blocks the create (naming that org) rather
than letting apply meet "The email is already associated with an existing user"."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_apply_calling import Hub, converge

from reconciler.errors import PlanBlocked
from reconciler.workflow.apply import apply_directory
from reconciler.workflow.plan import make_plan


def customer(ext: str, users: str) -> str:
    return f"""kind: Customer
externalId: {ext}
name: {ext.title()}
adminEmail: admin@{ext}.example
template: std
language: en_us
packages: [webex_meetings]
address: {{line1: 1 Main St, city: Chicago, state: IL, postalCode: '60601', country: US}}
users:
{users}"""


def estate(directory: Path, acme: str, beta: str) -> Path:
    (directory / "customers").mkdir(parents=True, exist_ok=True)
    (directory / "templates.yaml").write_text(
        "kind: Template\nname: std\nprovisioningId: PID-STD\n", encoding="utf-8"
    )
    (directory / "customers" / "acme.yaml").write_text(customer("acme", acme), encoding="utf-8")
    (directory / "customers" / "beta.yaml").write_text(customer("beta", beta), encoding="utf-8")
    return directory


BOB = "  - {email: bob@acme.example, firstName: Bob, package: webex_meetings}\n"
CAROL = "  - {email: carol@beta.example, package: webex_meetings}\n"


def test_a_user_moved_to_another_customer_is_blocked_before_anything_is_written(
    tmp_path: Path,
) -> None:
    hub = Hub(tmp_path)
    directory = tmp_path / "estate"
    converge(hub, estate(directory, BOB, CAROL))
    gone = "  - {email: bob@acme.example, package: webex_meetings, state: absent}\n"
    estate(directory, gone, CAROL + BOB)
    planned = asyncio.run(make_plan(directory, hub.target(), seams=hub.seams()))
    (blocked,) = planned.plan.blocked
    assert blocked.address == "user/beta/bob@acme.example"
    assert "already a user of customer acme's organization" in blocked.message
    assert "customers/beta.yaml:" in blocked.message
    with pytest.raises(PlanBlocked):
        asyncio.run(apply_directory(directory, hub.target(), seams=hub.seams()))
    # acme's removal alone applies; the person stays, so beta's create stays blocked
    converge(hub, estate(directory, gone, CAROL))
    estate(directory, gone, CAROL + BOB)
    planned = asyncio.run(make_plan(directory, hub.target(), seams=hub.seams()))
    (blocked,) = planned.plan.blocked
    assert "already a person (no subscription) of customer acme's" in blocked.message
