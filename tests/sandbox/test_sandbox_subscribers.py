"""Wholesale subscribers: provisioning with People, the email rules, validation, listing."""

from __future__ import annotations

from typing import Any

import pytest
from calling_helpers import add_numbers
from sandbox_helpers import Sandbox, make_sandbox, subscriber_body

pytestmark = pytest.mark.anyio


async def post(box: Sandbox, body: dict[str, Any]) -> Any:
    return await box.client.post("/wholesale/subscribers", json=body)


async def hq_id(box: Sandbox, org_id: str) -> str:
    listed = (await box.client.get("/locations", params={"orgId": org_id})).json()
    return str(listed["items"][0]["id"])


async def test_provisioning_creates_a_person_with_person_id(sandbox: Sandbox) -> None:
    customer_id, org_id = await sandbox.customer()
    # a number joins the location's inventory before a user takes it (Local Gateway)
    await add_numbers(sandbox, org_id, await hq_id(sandbox, org_id), "+15125550100")
    body = subscriber_body(
        customer_id, "ann@acme.example.com", primaryPhoneNumber="+15125550100", extension="1234"
    )
    response = await post(sandbox, body)
    assert response.status_code == 200
    sub = response.json()
    assert sub["status"] == "provisioned"
    assert sub["packages"] == ["webex_calling"]
    assert sub["externalCustomerId"] == "acme"
    assert response.headers["location"].endswith(sub["id"])
    person = (await sandbox.client.get(f"/people/{sub['personId']}")).json()
    assert person["orgId"] == org_id
    assert person["emails"] == ["ann@acme.example.com"]
    assert (person["firstName"], person["lastName"], person["displayName"]) == (
        "Ann",
        "Lee",
        "Ann Lee",
    )
    assert person["extension"] == "1234"
    assert person["phoneNumbers"][0]["value"] == "+15125550100"
    hq = (await sandbox.client.get("/locations", params={"orgId": org_id})).json()["items"][0]
    assert person["locationId"] == hq["id"]


async def test_existing_person_of_the_same_org_is_attached(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    admin = "admin@acme.example.com"  # the Full Administrator provisioning created
    people = (
        await sandbox.client.get(
            "/people",
            params={
                "email": admin,
                "orgId": (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()[
                    "orgId"
                ],
            },
        )
    ).json()
    response = await post(sandbox, subscriber_body(customer_id, admin))
    assert response.status_code == 200
    assert response.json()["personId"] == people["items"][0]["id"]


async def test_email_of_a_person_in_another_org_answers_10022(sandbox: Sandbox) -> None:
    a, _ = await sandbox.customer("a")
    b, _ = await sandbox.customer("b")
    response = await post(sandbox, subscriber_body(b, "admin@a.example.com"))
    assert response.status_code == 409
    assert response.json()["errors"][0]["errorCode"] == 10022
    assert (await post(sandbox, subscriber_body(a, "x@a.example.com"))).status_code == 200
    again = await post(sandbox, subscriber_body(a, "X@a.example.com"))
    assert again.status_code == 409
    assert again.json()["errors"][0]["errorCode"] == 10022


async def test_free_account_email_is_pending_user_migration(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    await sandbox.admin("POST", "seed", {"freeAccounts": ["free@gmail.example.com"]})
    response = await post(sandbox, subscriber_body(customer_id, "free@gmail.example.com"))
    assert response.status_code == 202
    assert response.json()["status"] == "pending_user_migration"
    assert "personId" not in response.json()


async def test_customer_not_provisioned_yet_is_refused(sandbox: Sandbox) -> None:
    customer_id = await sandbox.provision()
    response = await post(sandbox, subscriber_body(customer_id, "a@acme.example.com"))
    assert response.status_code == 409
    assert "provisioning" in response.json()["message"]
    unknown = await post(sandbox, subscriber_body("nope", "b@acme.example.com"))
    assert unknown.status_code == 404


def _body(customer_id: str, **changes: Any) -> dict[str, Any]:
    body = subscriber_body(customer_id, "new@acme.example.com")
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


INVALID: dict[str, dict[str, Any]] = {
    "no email": {"email": None},
    "bad email": {"email": "not-an-email"},
    "no provisioningParameters": {"provisioningParameters": None},
    "package and packages": {"package": "webex_calling"},
    "neither package": {"packages": None},
    "two packages": {"packages": ["webex_calling", "webex_meetings"]},
    "unknown package": {"packages": ["webex_teleport"]},
    "calling without number": {"provisioningParameters": {"firstName": "A"}},
    "number not E.164": {"provisioningParameters": {"primaryPhoneNumber": "5125550100"}},
    "extension not digits": {"provisioningParameters": {"extension": "12ab"}},
    "package not on customer": {"packages": ["webex_voice"]},
    "attendant console without base": {"packages": ["attendant_console"]},
    "unknown location": {"provisioningParameters": {"extension": "2000", "locationId": "nope"}},
}


@pytest.mark.parametrize("case", sorted(INVALID))
async def test_invalid_subscriber_bodies_answer_400(sandbox: Sandbox, case: str) -> None:
    customer_id, _ = await sandbox.customer()
    response = await post(sandbox, _body(customer_id, **INVALID[case]))
    assert response.status_code == 400, response.text
    listed = await sandbox.client.get("/wholesale/subscribers", params={"customerId": customer_id})
    assert listed.json()["items"] == []


async def test_meetings_subscriber_needs_no_number(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    response = await post(
        sandbox, subscriber_body(customer_id, "m@acme.example.com", package="webex_meetings")
    )
    assert response.status_code == 200


async def test_package_switch_off_lets_any_package_through(sandbox_factory: Any) -> None:
    box = await sandbox_factory(subscriber_package_must_be_on_customer=False)
    customer_id, _ = await box.customer()
    response = await post(
        box, subscriber_body(customer_id, "v@acme.example.com", package="webex_voice")
    )
    assert response.status_code == 200


async def test_phone_number_and_extension_must_be_free(sandbox: Sandbox) -> None:
    customer_id, org_id = await sandbox.customer()
    await add_numbers(sandbox, org_id, await hq_id(sandbox, org_id), "+15125550101")
    first = subscriber_body(
        customer_id, "a@acme.example.com", extension="3000", primaryPhoneNumber="+15125550101"
    )
    assert (await post(sandbox, first)).status_code == 200
    same_ext = subscriber_body(customer_id, "b@acme.example.com", extension="3000")
    assert (await post(sandbox, same_ext)).status_code == 409
    same_phone = subscriber_body(
        customer_id, "c@acme.example.com", primaryPhoneNumber="+15125550101"
    )
    assert (await post(sandbox, same_phone)).status_code == 409


async def test_get_update_and_delete(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer(
        "acme", packages=["webex_calling", "webex_meetings", "webex_suite"]
    )
    sub = (
        await post(
            sandbox, subscriber_body(customer_id, "u@acme.example.com", package="webex_meetings")
        )
    ).json()
    url = f"/wholesale/subscribers/{sub['id']}"
    assert (await sandbox.client.get(url)).json() == sub
    # meetings → calling needs a number
    refused = await sandbox.client.put(url, json={"packages": ["webex_calling"]})
    assert refused.status_code == 400
    sandbox.clock.advance(5)
    updated = await sandbox.client.put(
        url, json={"packages": ["webex_suite"], "provisioningParameters": {"extension": "4321"}}
    )
    assert updated.status_code == 200
    assert updated.json()["packages"] == ["webex_suite"]
    assert updated.json()["lastStatusChange"] > sub["lastStatusChange"]
    person = (await sandbox.client.get(f"/people/{sub['personId']}")).json()
    assert person["extension"] == "4321"
    both = await sandbox.client.put(
        url, json={"package": "webex_suite", "packages": ["webex_suite"]}
    )
    assert both.status_code == 400
    assert (await sandbox.client.delete(url)).status_code == 204
    assert (await sandbox.client.get(url)).status_code == 404
    assert (await sandbox.client.delete(url)).status_code == 404
    # the person stays: deleting a subscriber removes the mapping only
    assert (await sandbox.client.get(f"/people/{sub['personId']}")).status_code == 200


async def test_list_filters_sorts_and_clamps(sandbox: Sandbox) -> None:
    a, _ = await sandbox.customer("a")
    b, _ = await sandbox.customer("b")
    made = []
    for i in range(3):
        sandbox.clock.advance(1)
        made.append((await post(sandbox, subscriber_body(a, f"u{i}@a.example.com"))).json())
    other = (await post(sandbox, subscriber_body(b, "z@b.example.com"))).json()

    async def emails(**params: Any) -> list[str]:
        response = await sandbox.client.get("/wholesale/subscribers", params=params)
        assert response.status_code == 200, response.text
        return [s["email"] for s in response.json()["items"]]

    assert await emails(customerId=a) == [
        "u0@a.example.com",
        "u1@a.example.com",
        "u2@a.example.com",
    ]
    assert await emails(externalCustomerId="b") == ["z@b.example.com"]
    assert await emails(email="U1@A.example.com") == ["u1@a.example.com"]
    assert await emails(personId=other["personId"]) == ["z@b.example.com"]
    assert (await emails(customerId=a, sortOrder="DESC"))[0] == "u2@a.example.com"
    assert await emails(after=made[1]["created"]) == ["u2@a.example.com", "z@b.example.com"]
    assert await emails(status="pending_user_migration") == []
    assert await emails(customerId=a, max=2, offset=2) == ["u2@a.example.com"]
    for bad in ({"sortBy": "name"}, {"status": "x"}, {"after": "yesterday"}, {"max": "-3"}):
        response = await sandbox.client.get("/wholesale/subscribers", params=bad)
        assert response.status_code == 400


async def test_subscriber_list_max_is_clamped_to_100(sandbox: Sandbox) -> None:
    subscribers = [
        {"email": f"u{i}@big.example.com", "package": "webex_meetings"} for i in range(120)
    ]
    await sandbox.admin(
        "POST",
        "seed",
        {
            "customers": [
                {
                    "externalId": "big",
                    "packages": ["webex_meetings"],
                    "address": {"addressLine1": "1", "city": "c", "country": "US"},
                    "subscribers": subscribers,
                }
            ]
        },
    )
    page = (await sandbox.client.get("/wholesale/subscribers", params={"max": 500})).json()
    assert len(page["items"]) == 100
    default = (await sandbox.client.get("/wholesale/subscribers")).json()
    assert len(default["items"]) == 50


async def test_subscriber_precheck(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    ok = await sandbox.client.post(
        "/wholesale/subscribers/validate",
        json={"customerId": customer_id, "email": "n@acme.example.com"},
    )
    assert ok.status_code == 200
    assert ok.json()["info"]["infoCode"] == 100
    await post(sandbox, subscriber_body(customer_id, "n@acme.example.com"))
    taken = await sandbox.client.post(
        "/wholesale/subscribers/validate",
        json={"customerId": customer_id, "email": "n@acme.example.com"},
    )
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["errorCode"] == 10022
    missing = await sandbox.client.post("/wholesale/subscribers/validate", json={})
    assert missing.status_code == 400
    no_number = await sandbox.client.post(
        "/wholesale/subscribers/validate",
        json={
            "customerId": customer_id,
            "email": "q@acme.example.com",
            "packages": ["webex_calling"],
        },
    )
    assert no_number.status_code == 400


async def test_concurrent_provisioning_of_one_email_creates_one_subscriber(
    sandbox: Sandbox,
) -> None:
    import asyncio

    customer_id, _ = await sandbox.customer()
    body = subscriber_body(customer_id, "race@acme.example.com")
    responses = await asyncio.gather(*(post(sandbox, body) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    dump = (await sandbox.admin("GET", "dump")).json()
    assert [p["emails"] for p in dump["people"]].count(["race@acme.example.com"]) == 1


def _seed_body(customers: int, each: int) -> dict[str, Any]:
    return {
        "customers": [
            {
                "externalId": f"deep-{c}",
                "packages": ["webex_meetings"],
                "address": {"addressLine1": "1 Way", "city": "Oslo", "country": "NO"},
                "subscribers": [
                    {"email": f"u{u}@deep-{c}.example.com", "package": "webex_meetings"}
                    for u in range(each)
                ],
            }
            for c in range(customers)
        ]
    }


async def _all_pages(box: Sandbox, **params: Any) -> list[str]:
    ids: list[str] = []
    while True:
        query = {**params, "offset": len(ids), "max": 100}
        page = (await box.client.get("/wholesale/subscribers", params=query)).json()["items"]
        ids += [s["id"] for s in page]
        if len(page) < 100:
            return ids


async def test_deep_pages_list_the_same_rows_in_the_same_order_and_see_every_write(
    sandbox: Sandbox,
) -> None:
    # pages past the 1,000th row are read through the list's remembered order
    assert (await sandbox.admin("POST", "seed", _seed_body(3, 450))).status_code == 200
    dump = (await sandbox.admin("GET", "dump")).json()["subscribers"]
    listed = await _all_pages(sandbox)
    assert listed == [s["id"] for s in sorted(dump, key=lambda s: s["created"])]
    assert len(listed) == len(set(listed)) == 1350
    customer = dump[0]["customerId"]
    of_one = await _all_pages(sandbox, customerId=customer)
    assert of_one == [s["id"] for s in dump if s["customerId"] == customer]

    gone = listed[1100]
    assert (await sandbox.client.delete(f"/wholesale/subscribers/{gone}")).status_code == 204
    after = await _all_pages(sandbox)
    assert gone not in after
    assert after == [i for i in listed if i != gone]
    deep = (await sandbox.client.get("/wholesale/subscribers", params={"offset": 1100})).json()
    assert deep["items"][0]["id"] == listed[1101]
    far = {"offset": 5000, "max": 100}
    assert (await sandbox.client.get("/wholesale/subscribers", params=far)).json()["items"] == []


async def test_deep_pages_see_writes_made_through_another_connection(tmp_path: Any) -> None:
    db = str(tmp_path / "hub.sqlite")
    first, second = make_sandbox(db=db), make_sandbox(db=db, seed=1)  # seed: other IDs
    try:
        assert (await first.admin("POST", "seed", _seed_body(1, 1200))).status_code == 200
        before = await _all_pages(first)
        assert len(before) == 1200
        more = _seed_body(1, 30)
        more["customers"][0]["externalId"] = "deep-more"
        assert (await second.admin("POST", "seed", more)).status_code == 200
        after = await _all_pages(first)
        assert after[:1200] == before
        assert len(after) == 1230
    finally:
        await first.close()
        await second.close()
