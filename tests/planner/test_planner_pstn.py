"""Managed numbers at a location whose PSTN provider supplies them: Webex refuses adding or
removing them by API, so the plan blocks them at the location's FILE:LINE, reading the PSTN
connection only of the live calling locations whose numbers it changes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from admin_client import sandbox_stats
from test_planner_calling_foreseen import LOCATIONS, blocked_at, estate, hq, plan, seed

from reconciler import workflow
from reconciler.desired import load_desired
from reconciler.workflow.connect import SandboxTarget, open_client

PSTN_ROUTE = "GET /v1/telephony/pstn/locations/{locationId}/connection"
INVENTORY = ["+13125550100", "+13125550101"]


def reads(directory: Path, db: Path) -> tuple[Any, int]:
    """The plan of ``directory`` and how many PSTN connection reads it made."""

    async def go() -> tuple[Any, int]:
        desired = load_desired(directory)
        async with open_client(
            SandboxTarget(db=str(db)), read_only=True, templates=workflow.templates_of(desired)
        ) as client:
            planned = await workflow.plan_with(client, desired)
            stats = await sandbox_stats(client)
        return planned.plan, int(stats["byRoute"].get(PSTN_ROUTE, 0))

    return asyncio.run(go())


def numbers(declared: list[str]) -> str:
    return (
        "locations:\n  - {name: HQ, timeZone: America/Chicago, preferredLanguage: en_us, "
        f"numbers: {declared!r}}}\n"
    )


def test_numbers_declared_at_an_integrated_location_block_it(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq(numbers=INVENTORY, pstn="INTEGRATED_CCP")], [])
    directory = estate(tmp_path, numbers([*INVENTORY, "+13125550102"]))
    code, data, _ = plan(directory, db)
    assert code == 3
    message = blocked_at(data, "location/acme/HQ", "come from its PSTN provider (INTEGRATED_CCP)")
    assert "drop `numbers:` from the location" in message
    assert reads(directory, db)[1] == 1


def test_cisco_calling_plans_block_a_removal_too(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq(numbers=INVENTORY, pstn="CISCO_CALLING_PLAN")], [])
    code, data, _ = plan(estate(tmp_path, numbers(INVENTORY[:1])), db)
    assert code == 3
    blocked_at(data, "location/acme/HQ", "(CISCO_PSTN)")


def test_a_location_declaring_no_numbers_is_not_read(tmp_path: Path) -> None:
    """The provider's numbers are only checked against the inventory, and its connection is
    never read: no number change is planned there."""
    db = tmp_path / "s.sqlite"
    seed(db, [hq(numbers=INVENTORY, pstn="INTEGRATED_CCP")], [])
    directory = estate(
        tmp_path,
        LOCATIONS + "users:\n  - {email: ann@acme.example, package: webex_calling, location: HQ, "
        "phoneNumber: '+13125550101'}\n",
    )
    found, count = reads(directory, db)
    assert not found.blocked
    assert [c.address for c in found.changes] == ["user/acme/ann@acme.example"]
    assert count == 0


def test_a_local_gateway_location_plans_its_numbers(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq(numbers=INVENTORY, pstn="LOCAL_GATEWAY")], [])
    directory = estate(tmp_path, numbers([*INVENTORY, "+13125550102"]))
    found, count = reads(directory, db)
    assert not found.blocked
    assert [c.address for c in found.changes] == ["number/acme/HQ/+13125550102"]
    assert count == 1
