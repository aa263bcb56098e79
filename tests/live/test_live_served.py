"""The Partner Hub target over a real socket: the sandbox served on loopback by uvicorn, reached
with the OAuth refresh grant, read live, and a dropped create resolved by its key."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from live_estate import estate
from served import served

from reconciler.api import RefreshGrant
from reconciler.errors import OutcomeUnknown, ReadOnlyViolation
from reconciler.live import read_live
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.connect import ApiTarget, open_client, resolve_target

pytestmark = pytest.mark.e2e

GRANT = {
    "WEBEX_CLIENT_ID": "sandbox-client",
    "WEBEX_CLIENT_SECRET": "sandbox-secret",
    "WEBEX_REFRESH_TOKEN": "sandbox-refresh",
}


def test_live_served_sandbox_through_the_refresh_grant(tmp_path: Any) -> None:
    db = str(tmp_path / "served.sqlite")
    with served(SandboxConfig(db=db, provision_seconds=0)) as url:
        origin = url.removesuffix("/v1")
        httpx.post(f"{origin}/_sandbox/seed", json=estate(3, 1, 2)).raise_for_status()
        httpx.post(
            f"{origin}/_sandbox/templates", json={"name": "std", "provisioningId": "PROV-1"}
        ).raise_for_status()
        target = resolve_target(sandbox=None, api_url=url, env=GRANT)
        assert isinstance(target, ApiTarget)

        async def read() -> tuple[int, int]:
            async with open_client(target, read_only=True) as reader:
                assert isinstance(reader.session.tokens, RefreshGrant)
                state = await read_live(reader)
                with pytest.raises(ReadOnlyViolation):
                    await reader.delete_customer("x")
            return len(state.customers), len(state.users)

        assert asyncio.run(read()) == (3, 6)


def test_live_served_dropped_create_is_not_replayed_and_found_by_key(tmp_path: Any) -> None:
    db = str(tmp_path / "served.sqlite")
    config = SandboxConfig(db=db, provision_seconds=0, drop_rate=1.0, drop_mode="close")
    with served(config) as url:
        origin = url.removesuffix("/v1")
        httpx.post(
            f"{origin}/_sandbox/templates", json={"name": "std", "provisioningId": "PROV-1"}
        ).raise_for_status()
        target = resolve_target(sandbox=None, api_url=url, env={"WEBEX_TOKEN": "sandbox-full"})

        async def write() -> list[dict[str, Any]]:
            async with open_client(target, read_only=False) as writer:
                body = {
                    "provisioningId": "PROV-1",
                    "packages": ["webex_meetings"],
                    "externalId": "dropped",
                    "address": {"addressLine1": "1 Way", "city": "Berlin", "country": "DE"},
                    "customerInfo": {"name": "Dropped", "primaryEmail": "a@dropped.example"},
                }
                with pytest.raises(OutcomeUnknown):
                    await writer.create_customer(body)
                return await writer.list_customers(external_id="dropped")

        found = asyncio.run(write())
        assert [c["externalId"] for c in found] == ["dropped"]  # written once, found by key
        dump = httpx.get(f"{origin}/_sandbox/dump").json()
        assert [c["externalId"] for c in dump["customers"]].count("dropped") == 1
