"""Calling locations, country configuration, the number inventory and the refusals Webex makes.

Every exchange goes through the contract-checking transport (``webex-cloud-calling.json``).
``implicit_calling_locations=False`` (the default) is Webex's behaviour; True is a kinder
reading kept for comparison (see ``SandboxConfig``).
"""

from __future__ import annotations

from typing import Any

import pytest
from calling_helpers import READ, TEL, add_numbers, enable, enable_body, inventory, with_branch
from sandbox_helpers import Sandbox, address, location_body, subscriber_body

pytestmark = pytest.mark.anyio
WEBEX = {"implicit_calling_locations": False}


async def test_plain_location_is_not_a_calling_location_until_enabled(sandbox: Sandbox) -> None:
    _, org, hq, branch = await with_branch(sandbox)
    listed = (await sandbox.client.get(f"{TEL}/locations", params={"orgId": org})).json()
    assert [loc["id"] for loc in listed["locations"]] == [hq]
    assert (
        await sandbox.client.get(f"{TEL}/locations/{branch}", params={"orgId": org})
    ).status_code == 404
    await enable(sandbox, org, branch)
    listed = (await sandbox.client.get(f"{TEL}/locations", params={"orgId": org})).json()
    assert {loc["id"] for loc in listed["locations"]} == {hq, branch}
    details = (await sandbox.client.get(f"{TEL}/locations/{branch}", params={"orgId": org})).json()
    assert (details["name"], details["connection"]["type"]) == ("Branch", "TRUNK")
    again = await sandbox.client.post(
        f"{TEL}/locations", params={"orgId": org}, json=enable_body(branch)
    )
    assert again.status_code == 409
    unknown = await sandbox.client.post(
        f"{TEL}/locations", params={"orgId": org}, json=enable_body("nope")
    )
    assert unknown.status_code == 404


async def test_calling_locations_are_link_paged(sandbox_factory: Any) -> None:
    box = await sandbox_factory(calling_locations_page=(2, 2))
    _, org = await box.customer()
    for i in range(4):
        made = await box.client.post(
            "/locations", params={"orgId": org}, json=location_body(f"L{i}")
        )
        await enable(box, org, made.json()["id"], f"L{i}")
    names: list[str] = []
    response = await box.client.get(f"{TEL}/locations", params={"orgId": org, "order": "desc"})
    pages = 1
    while "next" in response.links:
        names += [loc["name"] for loc in response.json()["locations"]]
        response = await box.client.get(response.links["next"]["url"])
        pages += 1
    names += [loc["name"] for loc in response.json()["locations"]]
    assert (names, pages) == (["L3", "L2", "L1", "L0", "HQ"], 3)


async def test_country_configuration_decides_the_address(sandbox: Sandbox) -> None:
    _, org, _, branch = await with_branch(sandbox)
    us = (await sandbox.client.get(f"{TEL}/countries/US", headers=READ)).json()
    assert us["stateRequired"]
    assert us["zipCodeRequired"]
    assert {"code": "TX", "name": "Texas"} in us["states"]
    de = (await sandbox.client.get(f"{TEL}/countries/de")).json()
    assert (de["stateRequired"], de["states"], de["timeZones"]) == (False, [], ["Europe/Berlin"])
    assert (await sandbox.client.get(f"{TEL}/countries/ZZ")).status_code == 404

    async def try_enable(**change: Any) -> Any:
        body = enable_body(branch)
        time_zone = change.pop("timeZone", None)
        if time_zone:
            body["timeZone"] = time_zone
        body["address"].update(change)
        body["address"] = {k: v for k, v in body["address"].items() if v is not None}
        return await sandbox.client.post(f"{TEL}/locations", params={"orgId": org}, json=body)

    missing_state = await try_enable(state=None)
    assert missing_state.status_code == 400
    assert "state is required" in missing_state.json()["message"]
    assert (await try_enable(state="XX")).status_code == 400
    assert (await try_enable(postalCode=None)).status_code == 400
    bad_zone = await try_enable(timeZone="Europe/Berlin")
    assert "time zone" in bad_zone.json()["message"]
    assert (await try_enable(country="ZZ")).status_code == 400
    german = await try_enable(
        country="DE", state=None, city="Berlin", postalCode="10115", timeZone="Europe/Berlin"
    )
    assert german.status_code == 201, german.text


async def test_tokens_carry_the_telephony_scopes(sandbox: Sandbox) -> None:
    _, org, _, branch = await with_branch(sandbox)
    assert (
        await sandbox.client.get(f"{TEL}/locations", params={"orgId": org}, headers=READ)
    ).status_code == 200
    assert (
        await sandbox.client.get(f"{TEL}/numbers", params={"orgId": org}, headers=READ)
    ).status_code == 200
    denied = await sandbox.client.post(
        f"{TEL}/locations", params={"orgId": org}, json=enable_body(branch), headers=READ
    )
    assert denied.status_code == 403
    assert "telephony_config_write" in denied.json()["message"]


# numbers ------------------------------------------------------------------------------
async def test_numbers_are_added_listed_with_owner_and_removed(sandbox: Sandbox) -> None:
    customer_id, org, hq, _ = await with_branch(sandbox)
    await add_numbers(sandbox, org, hq, "+15125550101", "+15125550102")
    await add_numbers(sandbox, org, hq, "+15125550101")  # already there: ignored
    body = subscriber_body(customer_id, "a@acme.example.com", primaryPhoneNumber="+15125550101")
    assert (await sandbox.client.post("/wholesale/subscribers", json=body)).status_code == 200
    numbers = await inventory(sandbox, org)
    assert set(numbers) == {"+15125550101", "+15125550102"}
    owned = numbers["+15125550101"]
    assert (owned["location"]["id"], owned["owner"]["type"]) == (hq, "PEOPLE")
    assert "owner" not in numbers["+15125550102"]
    free = await inventory(sandbox, org, available="true")
    assert set(free) == {"+15125550102"}
    remove = f"{TEL}/locations/{hq}/numbers"
    refused = await sandbox.client.request(
        "DELETE", remove, params={"orgId": org}, json={"phoneNumbers": ["+15125550101"]}
    )
    assert (refused.status_code, refused.json()["errors"][0]["errorCode"]) == (409, 10030003)
    too_many = {"phoneNumbers": [f"+1512555020{i}" for i in range(6)]}
    assert (
        await sandbox.client.request("DELETE", remove, params={"orgId": org}, json=too_many)
    ).status_code == 400
    gone = await sandbox.client.request(
        "DELETE", remove, params={"orgId": org}, json={"phoneNumbers": ["+15125550102"]}
    )
    assert gone.status_code == 204
    assert set(await inventory(sandbox, org)) == {"+15125550101"}


async def test_a_number_held_elsewhere_or_malformed_is_refused(sandbox: Sandbox) -> None:
    _, org, hq, branch = await with_branch(sandbox)
    _, other_org, other_hq, _ = await with_branch(sandbox, "other")
    await enable(sandbox, org, branch)
    await add_numbers(sandbox, org, hq, "+15125550101")
    for target_org, target in ((org, branch), (other_org, other_hq)):
        taken = await sandbox.client.post(
            f"{TEL}/locations/{target}/numbers",
            params={"orgId": target_org},
            json={"phoneNumbers": ["+15125550101"]},
        )
        assert taken.status_code == 409
    malformed = await sandbox.client.post(
        f"{TEL}/locations/{hq}/numbers", params={"orgId": org}, json={"phoneNumbers": ["5125"]}
    )
    assert malformed.status_code == 400
    plain = await sandbox.client.post(
        "/locations", params={"orgId": org}, json=location_body("Plain")
    )
    not_calling = await sandbox.client.post(
        f"{TEL}/locations/{plain.json()['id']}/numbers",
        params={"orgId": org},
        json={"phoneNumbers": ["+15125550109"]},
    )
    assert not_calling.status_code == 404


async def test_inventory_is_link_paged(sandbox_factory: Any) -> None:
    box = await sandbox_factory(numbers_page=(3, 3))
    _, org, hq, _ = await with_branch(box)
    await add_numbers(box, org, hq, *(f"+1512555010{i}" for i in range(7)))
    first = await box.client.get(f"{TEL}/numbers", params={"orgId": org})
    assert len(first.json()["phoneNumbers"]) == 3
    assert len(await inventory(box, org)) == 7


@pytest.mark.parametrize("pstn", ["INTEGRATED_CCP", "CISCO_CALLING_PLAN"])
async def test_provider_numbers_are_seeded_and_cannot_be_managed(
    sandbox: Sandbox, pstn: str
) -> None:
    seeded = await sandbox.admin(
        "POST",
        "seed",
        {
            "customers": [
                {
                    "externalId": "prov",
                    "packages": ["webex_calling"],
                    "address": address(),
                    "pstn": pstn,
                    "locations": [
                        {
                            "name": "HQ",
                            "calling": True,
                            "numbers": ["+15125550301", "+15125550302"],
                            "mainNumber": "+15125550301",
                        }
                    ],
                    "subscribers": [
                        {
                            "email": "u@prov.example.com",
                            "package": "webex_calling",
                            "phoneNumber": "+15125550302",
                            "location": "HQ",
                        }
                    ],
                }
            ]
        },
    )
    org = seeded.json()["customers"]["prov"]["orgId"]
    numbers = await inventory(sandbox, org)
    assert numbers["+15125550301"]["mainNumber"] is True
    assert numbers["+15125550302"]["owner"]["type"] == "PEOPLE"
    hq = numbers["+15125550301"]["location"]["id"]
    details = (await sandbox.client.get(f"{TEL}/locations/{hq}", params={"orgId": org})).json()
    assert "connection" not in details
    assert details["callingLineId"]["phoneNumber"] == "+15125550301"
    refused = await sandbox.client.post(
        f"{TEL}/locations/{hq}/numbers",
        params={"orgId": org},
        json={"phoneNumbers": ["+15125559999"]},
    )
    assert refused.status_code == 400
    assert pstn in refused.json()["message"]
    bad = await sandbox.admin(
        "POST",
        "seed",
        {"customers": [{"externalId": "x", "address": address(), "pstn": "CARRIER_PIGEON"}]},
    )
    assert bad.status_code == 400


# refusals (Webex mode) ----------------------------------------------------------------
async def test_webex_refuses_a_calling_subscriber_into_a_plain_location(
    sandbox_factory: Any,
) -> None:
    box = await sandbox_factory(**WEBEX)
    customer_id, org, _, branch = await with_branch(box)
    body = subscriber_body(customer_id, "b@acme.example.com", extension="5001", locationId=branch)
    refused = await box.client.post("/wholesale/subscribers", json=body)
    assert refused.status_code == 400
    assert "not enabled for Webex Calling" in refused.json()["message"]
    precheck = await box.client.post("/wholesale/subscribers/validate", json=body)
    assert precheck.status_code == 400
    await enable(box, org, branch)
    assert (await box.client.post("/wholesale/subscribers", json=body)).status_code == 200


async def test_webex_refuses_a_number_not_in_the_locations_inventory(sandbox_factory: Any) -> None:
    box = await sandbox_factory(**WEBEX)
    customer_id, org, hq, branch = await with_branch(box)
    await enable(box, org, branch)
    await add_numbers(box, org, branch, "+15125550401")
    for phone in ("+15125550499", "+15125550401"):  # in no inventory; in another location's
        body = subscriber_body(customer_id, "n@acme.example.com", primaryPhoneNumber=phone)
        refused = await box.client.post("/wholesale/subscribers", json=body)
        assert (refused.status_code, refused.json()["errors"][0]["errorCode"]) == (400, 27966)
    body = subscriber_body(
        customer_id, "n@acme.example.com", primaryPhoneNumber="+15125550401", locationId=branch
    )
    assert (await box.client.post("/wholesale/subscribers", json=body)).status_code == 200
    dump = (await box.admin("GET", "dump")).json()
    assert [n["id"] for n in dump["numbers"] if n["locationId"] == hq] == []


async def test_webex_refuses_a_people_put_that_moves_a_calling_user(sandbox_factory: Any) -> None:
    box = await sandbox_factory(**WEBEX)
    customer_id, org, _, branch = await with_branch(box)
    await enable(box, org, branch)
    body = subscriber_body(customer_id, "m@acme.example.com", extension="5002")
    person_id = (await box.client.post("/wholesale/subscribers", json=body)).json()["personId"]
    person = (await box.client.get(f"/people/{person_id}")).json()
    put = {k: person[k] for k in ("displayName", "emails", "extension")}
    refused = await box.client.put(f"/people/{person_id}", json={**put, "locationId": branch})
    assert refused.status_code == 400
    assert "moveLocation" in refused.json()["message"]
    same = await box.client.put(
        f"/people/{person_id}", json={**put, "locationId": person["locationId"], "firstName": "Z"}
    )
    assert same.status_code == 200


async def test_a_people_put_cannot_give_a_user_without_calling_a_location(
    sandbox: Sandbox,
) -> None:
    """PUT /people: "The locationId can only be set when assigning a calling license"."""
    customer_id, _, _, branch = await with_branch(sandbox)
    body = subscriber_body(customer_id, "w@acme.example.com", package="webex_meetings")
    answer = await sandbox.client.post("/wholesale/subscribers", json=body)
    person = (await sandbox.client.get(f"/people/{answer.json()['personId']}")).json()
    assert "locationId" not in person
    put = {k: person[k] for k in ("displayName", "emails")}
    refused = await sandbox.client.put(
        f"/people/{person['id']}", json={**put, "locationId": branch}
    )
    assert refused.status_code == 400
    assert "calling license" in refused.json()["message"]
    again = (await sandbox.client.get(f"/people/{person['id']}")).json()
    assert "locationId" not in again
    renamed = await sandbox.client.put(f"/people/{person['id']}", json={**put, "firstName": "Z"})
    assert renamed.status_code == 200


async def test_a_people_put_cannot_take_an_extension_held_at_the_location(
    sandbox: Sandbox,
) -> None:
    customer_id, _, _, _ = await with_branch(sandbox)
    ids = []
    for email, extension in (("x@acme.example.com", "6001"), ("y@acme.example.com", "6002")):
        body = subscriber_body(customer_id, email, extension=extension)
        ids.append((await sandbox.client.post("/wholesale/subscribers", json=body)).json())
    person = (await sandbox.client.get(f"/people/{ids[1]['personId']}")).json()
    put = {k: person[k] for k in ("displayName", "emails", "locationId")}
    refused = await sandbox.client.put(f"/people/{person['id']}", json={**put, "extension": "6001"})
    assert refused.status_code == 409
    assert refused.json()["message"] == "The extension 6001 is already in use at this location."
    kept = await sandbox.client.put(f"/people/{person['id']}", json={**put, "extension": "6002"})
    assert kept.status_code == 200


@pytest.mark.parametrize("releases", [True, False])
async def test_leaving_calling_takes_the_line_with_the_licence(
    sandbox_factory: Any, releases: bool
) -> None:
    box = await sandbox_factory(leaving_calling_releases_line=releases)
    customer_id, _, _, _ = await with_branch(box)
    body = subscriber_body(customer_id, "l@acme.example.com", extension="7001")
    sub = (await box.client.post("/wholesale/subscribers", json=body)).json()
    down = await box.client.put(
        f"/wholesale/subscribers/{sub['id']}", json={"packages": ["webex_meetings"]}
    )
    assert down.status_code == 200
    person = (await box.client.get(f"/people/{sub['personId']}")).json()
    assert ("extension" in person) is not releases


async def test_kinder_reading_enables_the_location_and_records_the_number(
    sandbox_factory: Any,
) -> None:
    """The kinder reading (opt-in): what happens implicitly is visible."""
    sandbox = await sandbox_factory(implicit_calling_locations=True)
    customer_id, org, _, branch = await with_branch(sandbox)
    body = subscriber_body(
        customer_id, "k@acme.example.com", primaryPhoneNumber="+15125550501", locationId=branch
    )
    person_id = (await sandbox.client.post("/wholesale/subscribers", json=body)).json()["personId"]
    listed = (await sandbox.client.get(f"{TEL}/locations", params={"orgId": org})).json()
    assert branch in {loc["id"] for loc in listed["locations"]}
    assert (await inventory(sandbox, org))["+15125550501"]["location"]["id"] == branch
    # a People PUT moving the user takes its number along
    other = await sandbox.client.post(
        "/locations", params={"orgId": org}, json=location_body("Third")
    )
    person = (await sandbox.client.get(f"/people/{person_id}")).json()
    put = {k: person[k] for k in ("displayName", "emails", "phoneNumbers")}
    third = other.json()["id"]
    moved = await sandbox.client.put(f"/people/{person_id}", json={**put, "locationId": third})
    assert moved.status_code == 200
    assert (await inventory(sandbox, org))["+15125550501"]["location"]["id"] == third


async def test_switches_for_added_state_integrated_status_and_the_country_table(
    sandbox_factory: Any,
) -> None:
    from reconciler.sandbox.countries import Country

    box = await sandbox_factory(
        added_number_state="INACTIVE",
        integrated_numbers_status=409,
        default_pstn="CISCO_CALLING_PLAN",
        countries={"US": Country(False, False, (), ("America/Chicago",), "test")},
    )
    _, org, hq, branch = await with_branch(box)
    refused = await box.client.post(
        f"{TEL}/locations/{hq}/numbers",
        params={"orgId": org},
        json={"phoneNumbers": ["+15125551101"]},
    )
    assert refused.status_code == 409
    body = enable_body(branch)
    del body["address"]["state"]
    del body["address"]["postalCode"]
    assert (
        await box.client.post(f"{TEL}/locations", params={"orgId": org}, json=body)
    ).status_code == 201
    assert (await box.client.get(f"{TEL}/countries/DE")).status_code == 404

    other = await sandbox_factory(added_number_state="INACTIVE")
    _, org2, hq2, _ = await with_branch(other)
    await add_numbers(other, org2, hq2, "+15125551102")
    assert (await inventory(other, org2))["+15125551102"]["state"] == "INACTIVE"


async def test_an_integrated_provider_pushes_its_numbers_when_calling_starts(
    sandbox_factory: Any,
) -> None:
    """From an empty sandbox: the provider's numbers appear in the headquarters made by
    provisioning, and in a location once it is enabled; the partner cannot add any."""
    box = await sandbox_factory(
        implicit_calling_locations=False,
        customer_pstn={"acme": "INTEGRATED_CCP"},
        provider_numbers={
            ("acme", "HQ"): ("+15125551201",),
            ("acme", "Branch"): ("+15125551202", "+15125551203"),
        },
    )
    customer_id, org, hq, branch = await with_branch(box)
    assert set(await inventory(box, org)) == {"+15125551201"}
    await enable(box, org, branch)
    numbers = await inventory(box, org)
    assert {n: v["location"]["id"] for n, v in numbers.items()} == {
        "+15125551201": hq,
        "+15125551202": branch,
        "+15125551203": branch,
    }
    refused = await box.client.post(
        f"{TEL}/locations/{branch}/numbers",
        params={"orgId": org},
        json={"phoneNumbers": ["+15125551299"]},
    )
    assert refused.status_code == 400
    body = subscriber_body(
        customer_id, "p@acme.example.com", primaryPhoneNumber="+15125551202", locationId=branch
    )
    assert (await box.client.post("/wholesale/subscribers", json=body)).status_code == 200


@pytest.mark.parametrize("releases", [True, False])
async def test_removing_a_subscriber_releases_its_number_and_extension(
    sandbox_factory: Any, releases: bool
) -> None:
    box = await sandbox_factory(subscriber_remove_releases_calling=releases)
    customer_id, org, hq, _ = await with_branch(box)
    await add_numbers(box, org, hq, "+15125550601")
    body = subscriber_body(
        customer_id, "r@acme.example.com", primaryPhoneNumber="+15125550601", extension="601"
    )
    made = await box.client.post("/wholesale/subscribers", json=body)
    assert made.status_code == 200, made.text
    gone = await box.client.delete(f"/wholesale/subscribers/{made.json()['id']}")
    assert gone.status_code == 204
    number = (await inventory(box, org))["+15125550601"]
    person = (await box.client.get(f"/people/{made.json()['personId']}")).json()
    if releases:  # the person stays, without the calling line
        assert "owner" not in number
        assert person["phoneNumbers"] == []
        assert "extension" not in person
    else:
        assert number["owner"]["id"] == person["id"]
        assert person["extension"] == "601"
