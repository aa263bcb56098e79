"""``plan --precheck`` runs the safe-delete check (``precheckForDeletion``) for every calling
disable the plan makes, through the read-only client (an allow-listed POST that changes
nothing), and reads it with the plan in mind: users the plan moves out or removes first do
not count against it; users it leaves there do, as the disable job would fail on them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from test_apply_calling import HQ_NUMBERS, LAB_NUMBERS, Hub, converge, write

from reconciler.api.http import ApiSession, is_read_only_post
from reconciler.errors import ReadOnlyViolation
from reconciler.plan import Plan
from reconciler.workflow.plan import make_plan
from reconciler.workflow.prechecks import still_blocking


def with_bob(estate: Path) -> None:
    """Add bob, a second calling user at Lab, to the estate ``write`` made."""
    path = estate / "customers" / "acme.yaml"
    text = path.read_text(encoding="utf-8")
    text += (
        "  - {email: bob@acme.example, firstName: Bob, lastName: Roe, package: webex_calling, "
        "location: Lab, extension: '2001'}\n"
    )
    path.write_text(text, encoding="utf-8")


def prechecked(hub: Hub, estate: Path) -> Plan:
    return asyncio.run(make_plan(estate, hub.target(), precheck=True, seams=hub.seams())).plan


def test_a_disable_whose_users_leave_first_prechecks_ok_and_nothing_changes(
    tmp_path: Path,
) -> None:
    hub = Hub(tmp_path)
    estate = tmp_path / "estate"
    write(
        estate,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'",
    )
    converge(hub, estate)
    write(estate, hq=HQ_NUMBERS, lab=None, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[1]}'")
    before = hub.dump()
    plan = prechecked(hub, estate)
    notices = {n.address: n.message for n in plan.prechecks}
    assert notices["calling/acme/Lab"] == "ok: safe to disable; 1 user(s) leave first in this plan"
    after = hub.dump()
    assert after == before  # the check changed nothing: no job, no location, no number


def test_a_disable_that_leaves_a_user_behind_fails_its_precheck(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    estate = tmp_path / "estate"
    write(
        estate,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'",
    )
    with_bob(estate)
    converge(hub, estate)
    # bob is no longer declared and not pruned: the plan leaves him at Lab, which it deletes
    write(estate, hq=HQ_NUMBERS, lab=None, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[1]}'")
    plan = prechecked(hub, estate)
    notices = {n.address: n.message for n in plan.prechecks}
    assert notices["calling/acme/Lab"] == (
        "failed: the disable is blocked: 1 user(s) the plan neither moves out nor removes"
    )
    # without --precheck nothing is asked
    assert asyncio.run(make_plan(estate, hub.target(), seams=hub.seams())).plan.prechecks == ()


def test_only_the_precheck_post_passes_the_read_only_guard() -> None:
    check = "/telephony/config/locations/Y2lzY29_LOC-1=/actions/precheckForDeletion/invoke"
    assert is_read_only_post(check)
    for path in (
        "/telephony/config/locations/L/numbers",
        "/telephony/config/locations/L/x/actions/precheckForDeletion/invoke",
        "/telephony/config/locations/../actions/precheckForDeletion/invoke/x",
        "/telephony/config/jobs/locations/deleteCallingLocation",
    ):
        assert not is_read_only_post(path), path

    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(never)) as http:
            session = ApiSession(http, base_url="https://x.test/v1", tokens=None, read_only=True)  # type: ignore[arg-type]
            with pytest.raises(ReadOnlyViolation):
                await session.request("POST", "/telephony/config/locations/L/numbers")

    asyncio.run(go())


@pytest.mark.parametrize(
    ("answer", "leaving", "found"),
    [
        ({"locationDeleteStatus": "UNBLOCKED", "blocking": {}}, 0, []),
        ({"locationDeleteStatus": "BLOCKED", "blocking": {"usersInUseCount": 2}}, 2, []),
        (
            {"locationDeleteStatus": "BLOCKED", "blocking": {"usersInUseCount": 3}},
            1,
            ["2 user(s) the plan neither moves out nor removes"],
        ),
        (
            {"locationDeleteStatus": "BLOCKED", "blocking": {"lastLocation": True}},
            0,
            ["it is the org's last calling location"],
        ),
        (
            {
                "locationDeleteStatus": "BLOCKED",
                "blocking": {"trunksInUseCount": 1, "workspacesInUseCount": 2},
            },
            0,
            ["1 trunks in use", "2 workspaces"],
        ),
        (
            {"locationDeleteStatus": "BLOCKED", "blocking": {"numbersOrderPending": True}},
            0,
            ["a number order is pending"],
        ),
        (
            {"locationDeleteStatus": "FORCE_REQUIRED", "blocking": {}},
            0,
            ["it needs forceDelete (features or trunks), which apply does not send"],
        ),
        # blocked for a reason the answer does not count: never read as safe
        ({"locationDeleteStatus": "BLOCKED", "blocking": {}}, 0, ["locationDeleteStatus BLOCKED"]),
        ({}, 0, ["locationDeleteStatus None"]),
    ],
)
def test_what_still_blocks_a_disable_once_the_plans_users_left(
    answer: dict[str, object], leaving: int, found: list[str]
) -> None:
    assert still_blocking(answer, leaving) == found
