"""``/v1/organizations``: the partner's own org and its managed orgs, named as provisioned.

Every exchange goes through the contract-checking transport (``Organization`` and
``OrganizationCollectionResponse`` of webex-admin.json, strictly: no undeclared fields).
"""

from __future__ import annotations

import httpx
import pytest
from contract import check_exchange
from sandbox_helpers import READ, Sandbox, address

pytestmark = pytest.mark.anyio


async def test_list_names_each_managed_org_as_provisioned(sandbox: Sandbox) -> None:
    _, acme_org = await sandbox.customer("acme")
    _, zeta_org = await sandbox.customer("zeta", packages=["webex_meetings"], calling=False)
    response = await sandbox.client.get("/organizations")
    assert response.status_code == 200
    assert "link" not in response.headers  # not paginated (spec)
    items = response.json()["items"]
    by_id = {org["id"]: org for org in items}
    assert by_id[acme_org]["displayName"] == "acme Inc"
    assert by_id[zeta_org]["displayName"] == "zeta Inc"
    assert len(items) == 3  # the partner's own org is listed too
    assert all(org["created"].endswith("Z") for org in items)
    assert sandbox.transport.checked >= 1


async def test_org_appears_only_once_provisioned(sandbox: Sandbox) -> None:
    await sandbox.provision("slow")
    listed = (await sandbox.client.get("/organizations")).json()["items"]
    assert [o["displayName"] for o in listed] == ["Sandbox Partner"]
    sandbox.clock.advance(sandbox.config.provision_seconds)
    listed = (await sandbox.client.get("/organizations")).json()["items"]
    assert [o["displayName"] for o in listed] == ["Sandbox Partner", "slow Inc"]


async def test_get_one_org_and_unknown_org(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer("acme")
    one = await sandbox.client.get(f"/organizations/{org}")
    assert one.status_code == 200
    assert one.json()["displayName"] == "acme Inc"
    missing = await sandbox.client.get("/organizations/Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9ubw")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["description"]


async def test_read_token_may_list_and_no_token_may_not(sandbox: Sandbox) -> None:
    await sandbox.customer("acme")
    async with sandbox.raw(READ) as client:
        ok = await client.get("/organizations")
        assert ok.status_code == 200
        check_exchange(ok.request, ok)
    async with sandbox.raw({"Authorization": "Bearer not-a-token"}) as client:
        denied = await client.get("/organizations")
        assert denied.status_code == 401
        check_exchange(denied.request, denied)
        assert denied.json()["trackingId"]


async def test_seeded_org_named_from_seed_or_external_id(sandbox: Sandbox) -> None:
    seeded = await sandbox.admin(
        "POST",
        "seed",
        {
            "customers": [
                {"externalId": "named", "name": "Named Ltd", "packages": [], "address": address()},
                {"externalId": "bare", "packages": [], "address": address()},
                {"externalId": "broken", "status": "error", "packages": [], "address": address()},
            ]
        },
    )
    assert seeded.status_code == 200, seeded.text
    orgs = seeded.json()["customers"]
    listed = {o["id"]: o for o in (await sandbox.client.get("/organizations")).json()["items"]}
    assert listed[orgs["named"]["orgId"]]["displayName"] == "Named Ltd"
    assert listed[orgs["bare"]["orgId"]]["displayName"] == "bare"
    assert len(listed) == 3  # partner + two orgs: a customer in error has none


async def test_contract_check_would_catch_an_undeclared_field() -> None:
    """The organizations answers really are checked (the check is not vacuous)."""
    request = httpx.Request("GET", "http://sandbox.test/v1/organizations")
    response = httpx.Response(
        200, json={"items": [{"id": "x", "displayName": "X", "name": "extra"}]}, request=request
    )
    with pytest.raises(AssertionError, match="name"):
        check_exchange(request, response)
