"""Locations, people, roles and the token endpoint: scoping by orgId, Link paging, PUT rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from calling_helpers import enable
from sandbox_helpers import Sandbox, location_body, subscriber_body

pytestmark = pytest.mark.anyio


async def follow(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """Every item of a Link-paged list, following ``rel="next"`` as given; and the page count."""
    items: list[dict[str, Any]] = []
    response = await client.get(path, params=params)
    pages = 1
    while True:
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        if "next" not in response.links:
            return items, pages
        response = await client.get(response.links["next"]["url"])
        pages += 1


# locations ------------------------------------------------------------------------------
async def test_location_create_get_update_delete(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer("acme", packages=["webex_meetings"], calling=False)
    first = await sandbox.client.post("/locations", params={"orgId": org}, json=location_body("HQ"))
    created = await sandbox.client.post(
        "/locations", params={"orgId": org}, json=location_body("Branch")
    )
    assert created.status_code == 201
    location_id = created.json()["id"]
    # the org's first location is its headquarters: never deleted
    hq = await sandbox.client.delete(f"/locations/{first.json()['id']}", params={"orgId": org})
    assert hq.status_code == 409
    assert "headquarters" in hq.json()["message"]
    url = f"/locations/{location_id}"
    doc = (await sandbox.client.get(url, params={"orgId": org})).json()
    assert (doc["name"], doc["orgId"], doc["address"]["city"]) == ("Branch", org, "Dallas")
    assert "announcementLanguage" not in doc
    updated = await sandbox.client.put(
        url, params={"orgId": org}, json={"name": "Branch 2", "address": {"address1": "3 Other St"}}
    )
    assert updated.status_code == 204
    assert updated.content == b""
    doc = (await sandbox.client.get(url, params={"orgId": org})).json()
    assert (doc["name"], doc["address"]["address1"], doc["address"]["city"]) == (
        "Branch 2",
        "3 Other St",
        "Dallas",
    )
    assert (await sandbox.client.delete(url, params={"orgId": org})).status_code == 204
    assert (await sandbox.client.get(url, params={"orgId": org})).status_code == 404


async def test_announcement_language_switch(sandbox_factory: Any) -> None:
    box = await sandbox_factory(location_shows_announcement_language=True)
    _, org = await box.customer()
    item = (await box.client.get("/locations", params={"orgId": org})).json()["items"][0]
    assert item["announcementLanguage"] == "en_us"


@pytest.mark.parametrize(
    "missing", ["name", "timeZone", "preferredLanguage", "announcementLanguage", "address"]
)
async def test_location_create_requires_fields(sandbox: Sandbox, missing: str) -> None:
    _, org = await sandbox.customer()
    body = location_body()
    del body[missing]
    response = await sandbox.client.post("/locations", params={"orgId": org}, json=body)
    assert response.status_code == 400
    assert missing in response.json()["message"]


async def test_location_address_and_name_rules(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer()
    body = location_body()
    del body["address"]["postalCode"]
    assert (
        await sandbox.client.post("/locations", params={"orgId": org}, json=body)
    ).status_code == 400
    long_name = location_body("n" * 257)
    assert (
        await sandbox.client.post("/locations", params={"orgId": org}, json=long_name)
    ).status_code == 400
    duplicate = location_body("hq")  # provisioning made "HQ"; names compare case-insensitively
    assert (
        await sandbox.client.post("/locations", params={"orgId": org}, json=duplicate)
    ).status_code == 409


async def test_duplicate_location_names_allowed_by_switch(sandbox_factory: Any) -> None:
    box = await sandbox_factory(duplicate_location_name_status=None)
    _, org = await box.customer()
    response = await box.client.post("/locations", params={"orgId": org}, json=location_body("HQ"))
    assert response.status_code == 201


async def test_calling_enabled_location_cannot_be_deleted(sandbox: Sandbox) -> None:
    customer_id, org = await sandbox.customer()
    hq = (await sandbox.client.get("/locations", params={"orgId": org})).json()["items"][0]
    refused = await sandbox.client.delete(f"/locations/{hq['id']}", params={"orgId": org})
    assert refused.status_code == 409
    # a location enabled for calling (with a calling user in it)
    branch = (
        await sandbox.client.post("/locations", params={"orgId": org}, json=location_body("Branch"))
    ).json()["id"]
    await enable(sandbox, org, branch)
    body = subscriber_body(customer_id, "c@acme.example.com", extension="5000", locationId=branch)
    assert (await sandbox.client.post("/wholesale/subscribers", json=body)).status_code == 200
    refused = await sandbox.client.delete(f"/locations/{branch}", params={"orgId": org})
    assert refused.status_code == 409


async def test_locations_are_scoped_by_org(sandbox: Sandbox) -> None:
    _, org_a = await sandbox.customer("a")
    _, org_b = await sandbox.customer("b")
    hq_a = (await sandbox.client.get("/locations", params={"orgId": org_a})).json()["items"][0]
    assert (
        await sandbox.client.get(f"/locations/{hq_a['id']}", params={"orgId": org_b})
    ).status_code == 404
    unmanaged = await sandbox.client.get("/locations", params={"orgId": "Y2lzY29zcGFyaw"})
    assert unmanaged.status_code == 403
    own = await sandbox.client.get("/locations")
    assert own.json()["items"] == []


async def test_location_name_filter_is_case_insensitive_contains(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer()
    for name in ("Austin North", "austin south", "Dallas"):
        await sandbox.client.post("/locations", params={"orgId": org}, json=location_body(name))
    found = await sandbox.client.get("/locations", params={"orgId": org, "name": "AUSTIN"})
    assert sorted(loc["name"] for loc in found.json()["items"]) == ["Austin North", "austin south"]


async def test_location_link_paging_and_clamping(sandbox: Sandbox) -> None:
    locations = [{"name": f"L{i:04d}"} for i in range(1205)]
    seeded = (
        await sandbox.admin(
            "POST",
            "seed",
            {
                "customers": [
                    {
                        "externalId": "big",
                        "packages": ["webex_meetings"],
                        "address": {"addressLine1": "1", "city": "c", "country": "US"},
                        "locations": locations,
                    }
                ]
            },
        )
    ).json()
    org = seeded["customers"]["big"]["orgId"]
    items, pages = await follow(sandbox.client, "/locations", {"orgId": org, "max": 7000})
    assert pages == 2  # max clamped to 1000
    assert [loc["name"] for loc in items] == [f"L{i:04d}" for i in range(1205)]
    items, pages = await follow(sandbox.client, "/locations", {"orgId": org})
    assert pages == 3  # default page of 500
    items, pages = await follow(
        sandbox.client, "/locations", {"orgId": org, "name": "L11", "max": 30}
    )
    assert (len(items), pages) == (100, 4)
    first = await sandbox.client.get("/locations", params={"orgId": org, "max": 30})
    next_url = first.links["next"]["url"]
    assert next_url.startswith("http://sandbox.test/v1/locations?")
    assert "orgId=" in next_url


async def test_max_null_next_link_defect_switch(sandbox_factory: Any) -> None:
    box = await sandbox_factory(next_link_max_null=True)
    _, org = await box.customer()
    for i in range(3):
        await box.client.post("/locations", params={"orgId": org}, json=location_body(f"B{i}"))
    first = await box.client.get("/locations", params={"orgId": org, "max": 2})
    assert "max=null" in first.links["next"]["url"]
    assert (await box.client.get(first.links["next"]["url"])).status_code == 400


# people ---------------------------------------------------------------------------------
async def test_people_filters_and_link_paging(sandbox: Sandbox) -> None:
    subscribers = [
        {
            "email": f"P{i:03d}@big.example.com",
            "package": "webex_meetings",
            "firstName": "P",
            "lastName": f"{i:03d}",
        }
        for i in range(250)
    ]
    seeded = (
        await sandbox.admin(
            "POST",
            "seed",
            {
                "customers": [
                    {
                        "externalId": "big",
                        "packages": ["webex_meetings"],
                        "adminEmail": "boss@big.example.com",
                        "address": {"addressLine1": "1", "city": "c", "country": "US"},
                        "subscribers": subscribers,
                    }
                ]
            },
        )
    ).json()
    org = seeded["customers"]["big"]["orgId"]
    items, pages = await follow(sandbox.client, "/people", {"orgId": org})
    assert (len(items), pages) == (251, 3)
    items, pages = await follow(sandbox.client, "/people", {"orgId": org, "max": 5000})
    assert (len(items), pages) == (251, 1)
    one = (
        await sandbox.client.get("/people", params={"orgId": org, "email": "p007@BIG.example.com"})
    ).json()
    assert [p["lastName"] for p in one["items"]] == ["007"]
    by_name = await follow(
        sandbox.client, "/people", {"orgId": org, "displayName": "p 00", "max": 4}
    )
    assert (len(by_name[0]), by_name[1]) == (10, 3)
    ids = f"{one['items'][0]['id']},nope"
    by_id = (await sandbox.client.get("/people", params={"orgId": org, "id": ids})).json()
    assert by_id["notFoundIds"] == ["nope"]
    roles = {r["name"]: r["id"] for r in (await sandbox.client.get("/roles")).json()["items"]}
    admins = (
        await sandbox.client.get(
            "/people", params={"orgId": org, "roles": roles["Full Administrator"]}
        )
    ).json()["items"]
    assert [p["emails"][0] for p in admins] == ["boss@big.example.com"]


async def test_person_put_is_a_full_replacement(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    sub = (
        await sandbox.client.post(
            "/wholesale/subscribers",
            json=subscriber_body(customer_id, "r@acme.example.com", extension="7000"),
        )
    ).json()
    url = f"/people/{sub['personId']}"
    person = (await sandbox.client.get(url)).json()
    roles = {r["name"]: r["id"] for r in (await sandbox.client.get("/roles")).json()["items"]}
    body = {
        k: person[k]
        for k in ("emails", "displayName", "firstName", "extension", "locationId", "phoneNumbers")
    }
    body["roles"] = [roles["Full Administrator"]]
    body["displayName"] = "Rae Lee"
    response = await sandbox.client.put(url, json=body)
    assert response.status_code == 200
    after = response.json()
    assert after["roles"] == [roles["Full Administrator"]]
    assert after["displayName"] == "Rae Lee"
    assert "lastName" not in after  # omitted from the PUT: cleared
    assert after["extension"] == "7000"
    assert (await sandbox.client.get(url)).json() == after
    cleared = await sandbox.client.put(url, json={"displayName": "Rae"})
    assert cleared.json()["roles"] == []
    assert "extension" not in cleared.json()
    assert cleared.json()["emails"] == ["r@acme.example.com"]
    minimal = await sandbox.client.put(
        url, params={"minResponse": "true"}, json={"displayName": "Rae"}
    )
    assert minimal.status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"displayName": "X", "roles": ["not-a-role"]},
        {"displayName": "X", "locationId": "nope"},
        {"displayName": "X", "emails": ["bad"]},
        {"displayName": "X", "loginEnabled": "yes"},
        {"displayName": 5},
    ],
)
async def test_person_put_validation(sandbox: Sandbox, body: dict[str, Any]) -> None:
    _, org = await sandbox.customer()
    person = (await sandbox.client.get("/people", params={"orgId": org})).json()["items"][0]
    response = await sandbox.client.put(f"/people/{person['id']}", json=body)
    assert response.status_code == 400


async def test_person_email_change_to_a_taken_email_answers_10022(sandbox: Sandbox) -> None:
    _, org = await sandbox.customer("a")
    await sandbox.customer("b")
    person = (await sandbox.client.get("/people", params={"orgId": org})).json()["items"][0]
    response = await sandbox.client.put(
        f"/people/{person['id']}", json={"displayName": "A", "emails": ["admin@b.example.com"]}
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["errorCode"] == 10022


async def test_person_delete_and_unknown_person(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    sub = (
        await sandbox.client.post(
            "/wholesale/subscribers", json=subscriber_body(customer_id, "d@acme.example.com")
        )
    ).json()
    assert (await sandbox.client.delete(f"/people/{sub['personId']}")).status_code == 204
    assert (await sandbox.client.get(f"/people/{sub['personId']}")).status_code == 404
    assert (await sandbox.client.get(f"/wholesale/subscribers/{sub['id']}")).status_code == 404


async def test_roles(sandbox: Sandbox) -> None:
    roles = (await sandbox.client.get("/roles")).json()["items"]
    assert "Full Administrator" in [r["name"] for r in roles]
    one = await sandbox.client.get(f"/roles/{roles[1]['id']}")
    assert one.json() == roles[1]
    assert (await sandbox.client.get("/roles/nope")).status_code == 404


# tokens ---------------------------------------------------------------------------------
async def test_refresh_token_grant(sandbox: Sandbox) -> None:
    form = {
        "grant_type": "refresh_token",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": "sandbox-read-refresh",
    }
    response = await sandbox.client.post("/access_token", data=form, headers={"Authorization": ""})
    assert response.status_code == 200
    token = response.json()
    assert token["access_token"] == "sandbox-read"
    assert token["token_type"] == "Bearer"
    assert "spark-admin:people_write" not in token["scope"]
    assert (
        await sandbox.client.post("/access_token", data={**form, "refresh_token": "wrong"})
    ).status_code == 400
    assert (
        await sandbox.client.post("/access_token", data={**form, "client_secret": "wrong"})
    ).status_code == 401
    assert (
        await sandbox.client.post("/access_token", data={**form, "grant_type": "password"})
    ).status_code == 400


@pytest.mark.parametrize("roles", [1.5, 7, [[1]], [{"a": 1}], "admin"])
async def test_person_put_with_roles_not_a_list_of_strings_is_a_400(
    sandbox: Sandbox, roles: object
) -> None:
    """Found by the sandbox fuzz: a float ``roles`` answered 500."""
    _, org = await sandbox.customer()
    people = (await sandbox.client.get("/people", params={"orgId": org})).json()["items"]
    person = people[0]
    body = {"displayName": "X", "emails": person["emails"], "roles": roles}
    answer = await sandbox.client.put(f"/people/{person['id']}", json=body)
    assert answer.status_code == 400
    assert "roles must be a list of strings." in answer.text
