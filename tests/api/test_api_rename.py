"""``WebexClient.rename_organization``: the identity API's rename, against the in-process
sandbox; the org ID is turned into the UUID that API takes."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from reconciler.api import Limiter, WebexClient
from reconciler.api.client import organization_uuid
from reconciler.errors import ApiError, ReadOnlyViolation
from reconciler.sandbox import SandboxConfig, create_app

BASE = "https://sandbox.invalid"
UUID = "82adacf4-453f-4e2b-a406-2939fddcaad2"


def org_id(raw: str = UUID) -> str:
    return base64.b64encode(f"ciscospark://us/ORGANIZATION/{raw}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (org_id(), UUID),
        (base64.b64encode(f"ciscospark://us/ORGANIZATION/{UUID}".encode()).decode(), UUID),
        (UUID, UUID),  # already a UUID
        (UUID.upper(), UUID),
        (base64.b64encode(f"ciscospark://us/PEOPLE/{UUID}".encode()).decode(), None),
        (org_id("not-a-uuid"), None),
        ("%%%", None),
        ("", None),
    ],
)
def test_organization_uuid(given: str, expected: str | None) -> None:
    assert organization_uuid(given) == expected


def run(read_only: bool, act: Any) -> Any:
    async def main() -> Any:
        app = create_app(SandboxConfig(provision_seconds=0))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as admin:
            seeded = await admin.post(
                "/_sandbox/seed",
                json={
                    "customers": [
                        {
                            "externalId": "acme",
                            "name": "Acme",
                            "packages": ["webex_meetings"],
                            "address": {"addressLine1": "1 Main", "city": "X", "country": "US"},
                        }
                    ]
                },
            )
            seeded.raise_for_status()
            org = seeded.json()["customers"]["acme"]["orgId"]
            async with httpx.AsyncClient(transport=transport) as http:
                client = WebexClient(
                    http,
                    base_url=f"{BASE}/v1",
                    tokens="sandbox-full",
                    read_only=read_only,
                    limiter=Limiter(rate=None),
                )
                try:
                    return await act(client, org)
                finally:
                    app.state.store.close()

    return asyncio.run(main())


def test_rename_then_the_organizations_list_shows_the_new_name() -> None:
    async def act(client: WebexClient, org: str) -> tuple[Any, dict[str, str], str]:
        before = {o["id"]: o["displayName"] for o in await client.list_organizations()}
        assert before[org] == "Acme"
        answer = await client.rename_organization(org, "Acme Holdings")
        names = {o["id"]: o["displayName"] for o in await client.list_organizations()}
        return answer, names, org

    answer, names, org = run(False, act)
    assert answer["displayName"] == "Acme Holdings"
    assert answer["id"] == organization_uuid(org)
    assert names[org] == "Acme Holdings"


def test_a_read_only_client_refuses_before_sending() -> None:
    async def act(client: WebexClient, org: str) -> None:
        await client.rename_organization(org, "Acme Holdings")

    with pytest.raises(ReadOnlyViolation, match="nothing was sent"):
        run(True, act)


def test_not_an_org_id_is_refused_before_sending() -> None:
    async def act(client: WebexClient, org: str) -> None:
        await client.rename_organization("bogus", "Acme Holdings")

    with pytest.raises(ApiError, match="not an organization ID; nothing was sent"):
        run(False, act)


def test_a_refusal_of_the_api_is_an_error_with_its_message() -> None:
    async def act(client: WebexClient, org: str) -> None:
        await client.rename_organization(org, "  ")

    with pytest.raises(ApiError, match="displayName is required") as caught:
        run(False, act)
    assert caught.value.status == 400
