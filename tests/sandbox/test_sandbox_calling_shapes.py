"""Unknown fields in the calling and identity writes follow ``put_extra_fields`` like every
other route: dropped (never stored, never echoed) by default, one 400 naming each when set to
``reject``. The requests carrying them go through ``raw()``: the contract check would refuse
them before the sandbox could."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from calling_helpers import TEL, add_numbers, enable, enable_body, with_branch
from sandbox_helpers import Sandbox, subscriber_body

pytestmark = pytest.mark.anyio
CORE = "urn:cisco:codev:identity:organization:core:1.0"
MODES = [("ignore", True), ("reject", False)]


def refused(response: Any, *fields: str) -> None:
    assert response.status_code == 400, response.text
    described = {e["description"] for e in response.json()["errors"]}
    assert described == {f"{f} is not a field of this request." for f in fields}


async def _box(sandbox_factory: Any, mode: str) -> tuple[Sandbox, str, str, str, str]:
    box: Sandbox = await sandbox_factory(put_extra_fields=mode)
    customer_id, org, hq, branch = await with_branch(box)
    return box, customer_id, org, hq, branch


@pytest.mark.parametrize(("mode", "kept"), MODES)
async def test_enable_calling_drops_or_refuses_unknown_fields(
    sandbox_factory: Any, mode: str, kept: bool
) -> None:
    box, _, org, _, branch = await _box(sandbox_factory, mode)
    body = enable_body(branch)
    body["address"]["zip"] = "75001"
    body["pstn"] = "LGW"
    async with box.raw() as raw:
        response = await raw.post(f"{TEL}/locations", params={"orgId": org}, json=body)
    if not kept:
        refused(response, "address.zip", "pstn")
        return
    assert response.status_code == 201, response.text
    for path in (f"{TEL}/locations/{branch}", f"/locations/{branch}"):
        got = await box.client.get(path, params={"orgId": org})
        assert got.status_code == 200, got.text
        assert "pstn" not in got.json()
        assert "zip" not in got.json().get("address", {})


@pytest.mark.parametrize(("mode", "kept"), MODES)
async def test_number_writes_drop_or_refuse_unknown_fields(
    sandbox_factory: Any, mode: str, kept: bool
) -> None:
    box, _, org, hq, _ = await _box(sandbox_factory, mode)
    path = f"{TEL}/locations/{hq}/numbers"
    async with box.raw() as raw:
        added = await raw.post(
            path, params={"orgId": org}, json={"phoneNumbers": ["+15125550701"], "owner": "x"}
        )
        if kept:
            assert added.status_code == 201, added.text
        else:
            refused(added, "owner")
            await add_numbers(box, org, hq, "+15125550701")
        removed = await raw.request(
            "DELETE",
            path,
            params={"orgId": org},
            json={"phoneNumbers": ["+15125550701"], "force": True},
        )
    if not kept:
        refused(removed, "force")
        return
    assert removed.status_code == 204, removed.text
    left = await box.client.get(f"{TEL}/numbers", params={"orgId": org})
    assert "+15125550701" not in {n["phoneNumber"] for n in left.json()["phoneNumbers"]}


@pytest.mark.parametrize(("mode", "kept"), MODES)
async def test_move_users_drops_or_refuses_unknown_nested_fields(
    sandbox_factory: Any, mode: str, kept: bool
) -> None:
    box, customer_id, org, _, branch = await _box(sandbox_factory, mode)
    await enable(box, org, branch)
    created = await box.client.post(
        "/wholesale/subscribers", json=subscriber_body(customer_id, "mv@acme.example.com")
    )
    assert created.status_code == 200, created.text
    user = {"userId": created.json()["personId"], "mac": "x"}
    move = {"usersList": [{"locationId": branch, "validate": False, "users": [user]}]}
    async with box.raw() as raw:
        moved = await raw.post(f"{TEL}/jobs/person/moveLocation", params={"orgId": org}, json=move)
    if not kept:
        refused(moved, "usersList[0].users[0].mac")
        return
    assert moved.status_code == 201, moved.text


@pytest.mark.parametrize(("mode", "kept"), MODES)
async def test_disable_calling_drops_or_refuses_unknown_fields(
    sandbox_factory: Any, mode: str, kept: bool
) -> None:
    box, _, org, _, branch = await _box(sandbox_factory, mode)
    await enable(box, org, branch)
    async with box.raw() as raw:
        disabled = await raw.post(
            f"{TEL}/jobs/locations/deleteCallingLocation",
            params={"orgId": org},
            json={"locationId": branch, "reason": "x"},
        )
    if not kept:
        refused(disabled, "reason")
        return
    assert disabled.status_code == 202, disabled.text


@pytest.mark.parametrize(("mode", "kept"), MODES)
async def test_organization_rename_drops_or_refuses_unknown_fields(
    sandbox_factory: Any, mode: str, kept: bool
) -> None:
    box: Sandbox = await sandbox_factory(put_extra_fields=mode)
    _, org = await box.customer("acme")
    text = base64.b64decode(org + "=" * (-len(org) % 4)).decode()
    body = {"schemas": [CORE], "displayName": "Acme Holdings", "meta": {"version": "9"}}
    async with box.raw() as raw:
        response = await raw.patch(f"/identity/organizations/{text.rsplit('/', 1)[1]}", json=body)
    if not kept:
        refused(response, "meta")
        return
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Acme Holdings"
    assert response.json()["meta"].get("version") != "9"
