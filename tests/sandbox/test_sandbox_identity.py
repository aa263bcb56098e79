"""``PATCH /v1/identity/organizations/{orgUuid}``: a managed customer org renamed through the
identity API, addressed by its UUID; the new name is what ``/organizations`` shows.

Exchanges through ``sandbox.client`` are checked against webex-admin.json (``updateOrgObject``
in, ``GetOrgResponse`` out, strictly).
"""

from __future__ import annotations

import base64

import pytest
from sandbox_helpers import READ, Sandbox

from reconciler.sandbox.objects import PARTNER_ORG

pytestmark = pytest.mark.anyio

CORE = "urn:cisco:codev:identity:organization:core:1.0"


def uuid_of(org_id: str) -> str:
    text = base64.b64decode(org_id + "=" * (-len(org_id) % 4)).decode()
    return text.rsplit("/", 1)[1]


def rename(name: str) -> dict[str, object]:
    return {"schemas": [CORE], "displayName": name}


async def test_a_managed_org_is_renamed_and_listed_under_its_new_name(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer("acme")
    sandbox.clock.advance(60)
    response = await sandbox.client.patch(
        f"/identity/organizations/{uuid_of(org)}", json=rename("Acme Holdings")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["schemas"], body["id"], body["displayName"]) == (
        [CORE],
        uuid_of(org),
        "Acme Holdings",
    )
    assert body["meta"]["lastModified"] > body["meta"]["created"]
    listed = {o["id"]: o for o in (await sandbox.client.get("/organizations")).json()["items"]}
    assert listed[org]["displayName"] == "Acme Holdings"
    one = (await sandbox.client.get(f"/organizations/{org}")).json()
    assert one["displayName"] == "Acme Holdings"
    again = await sandbox.client.patch(
        f"/identity/organizations/{uuid_of(org)}", json=rename("Acme Group")
    )
    assert again.json()["meta"]["version"] != body["meta"]["version"]


async def test_the_org_is_addressed_by_its_uuid_not_its_base64_id(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer("acme")
    async with sandbox.raw() as client:
        wrong = await client.patch(f"/identity/organizations/{org}", json=rename("X"))
    assert wrong.status_code == 404


async def test_the_body_needs_the_core_schema_and_a_display_name(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer("acme")
    path = f"/identity/organizations/{uuid_of(org)}"
    async with sandbox.raw() as client:
        bad = await client.patch(path, json={"displayName": "Acme"})
        empty = await client.patch(path, json={"schemas": [CORE], "displayName": " "})
        typed = await client.patch(path, json={**rename("Acme"), "preferredLanguage": 7})
    assert [r.status_code for r in (bad, empty, typed)] == [400, 400, 400]
    assert bad.json()["errors"][0]["description"] == f"Input JSON must contain schema: {CORE}."
    assert "displayName is required" in empty.json()["message"]
    listed = (await sandbox.client.get("/organizations")).json()["items"]
    assert "acme Inc" in [o["displayName"] for o in listed]  # nothing changed


async def test_only_managed_orgs_and_only_with_the_identity_scope(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer("acme")
    async with sandbox.raw() as client:
        own = await client.patch(
            f"/identity/organizations/{uuid_of(PARTNER_ORG)}", json=rename("Partner")
        )
        unknown = await client.patch(
            "/identity/organizations/00000000-0000-4000-8000-000000000000", json=rename("X")
        )
    async with sandbox.raw(READ) as client:
        read_only = await client.patch(f"/identity/organizations/{uuid_of(org)}", json=rename("X"))
    assert (own.status_code, unknown.status_code, read_only.status_code) == (403, 404, 403)
    assert "identity:organizations_rw" in read_only.json()["message"]


async def test_a_pending_customer_has_no_org_to_rename(sandbox: Sandbox) -> None:
    customer_id = await sandbox.provision("slow")
    doc = (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert "orgId" not in doc
    async with sandbox.raw() as client:
        response = await client.patch(
            "/identity/organizations/11111111-1111-4111-8111-111111111111", json=rename("X")
        )
    assert response.status_code == 404
