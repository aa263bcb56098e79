"""Every request body bodies.py builds validates against the official request schema."""

from __future__ import annotations

from typing import Any

import pytest
from contract import ContractViolation, check_request

from reconciler import bodies
from reconciler.model import Address, Customer, Location, User

ADDRESS = Address(
    line1="771 Alder Drive",
    line2="Site 5",
    city="Milpitas",
    state="CA",
    postal_code="95035",
    country="US",
)
MINIMAL_ADDRESS = Address(line1="1 Main St", city="Berlin", country="DE")

HQ = Location(
    customer="acme",
    name="Head Office",
    address=ADDRESS,
    time_zone="America/Los_Angeles",
    preferred_language="en_us",
    announcement_language="en_us",
)
BRANCH = Location(
    customer="acme",
    name="Branch",
    address=ADDRESS,
    time_zone="America/New_York",
    preferred_language="en_us",
)
CALLING_CUSTOMER = Customer(
    external_id="acme",
    address=ADDRESS,
    name="Acme Inc",
    admin_email="admin@acme.com",
    template="standard",
    language="en",
    packages=("cisco_calling_plan", "webex_calling"),
    headquarters="Head Office",
    meetings_time_zone="America/Los_Angeles",
)
MEETINGS_CUSTOMER = Customer(
    external_id="globex",
    address=MINIMAL_ADDRESS,
    name="Globex",
    admin_email="a@globex.com",
    template="standard",
    packages=("webex_meetings",),
)
CALLING_USER = User(
    customer="acme",
    email="alice@acme.com",
    first_name="Alice",
    last_name="Anders",
    package="webex_calling",
    location="Branch",
    phone_number="+14085551234",
    extension="1234",
    roles=("Full Administrator",),
)
MEETINGS_USER = User(customer="acme", email="bob@acme.com", package="webex_meetings")
PERSON = {
    "id": "P1",
    "emails": ["alice@acme.com"],
    "displayName": "alice",
    "orgId": "O1",
    "phoneNumbers": [{"type": "work", "value": "+14085550000", "primary": True}],
    "roles": [],
    "licenses": ["L1"],
    "created": "2026-01-01T00:00:00Z",
    "status": "active",
    "type": "person",
    "loginEnabled": True,
}

CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "customer create, calling",
        "POST",
        "/wholesale/customers",
        bodies.customer_create(CALLING_CUSTOMER, provisioning_id="PROV1", headquarters=HQ),
    ),
    (
        "customer create, meetings",
        "POST",
        "/wholesale/customers",
        bodies.customer_create(MEETINGS_CUSTOMER, provisioning_id="PROV1", headquarters=None),
    ),
    ("customer update", "PUT", "/wholesale/customers/C1", bodies.customer_update(CALLING_CUSTOMER)),
    (
        "customer update, calling added",
        "PUT",
        "/wholesale/customers/C1",
        bodies.customer_update(CALLING_CUSTOMER, headquarters=HQ),
    ),
    (
        "customer precheck",
        "POST",
        "/wholesale/customers/validate",
        bodies.customer_precheck(CALLING_CUSTOMER, provisioning_id="PROV1", headquarters=HQ),
    ),
    (
        "customer precheck, no template id",
        "POST",
        "/wholesale/customers/validate",
        bodies.customer_precheck(MEETINGS_CUSTOMER, provisioning_id=None, headquarters=None),
    ),
    (
        "subscriber create, calling",
        "POST",
        "/wholesale/subscribers",
        bodies.subscriber_create(CALLING_USER, customer_id="C1", location_id="L1"),
    ),
    (
        "subscriber create, meetings",
        "POST",
        "/wholesale/subscribers",
        bodies.subscriber_create(MEETINGS_USER, customer_id="C1", location_id=None),
    ),
    (
        "subscriber update",
        "PUT",
        "/wholesale/subscribers/S1",
        bodies.subscriber_update(CALLING_USER),
    ),
    (
        "subscriber update, to calling",
        "PUT",
        "/wholesale/subscribers/S1",
        bodies.subscriber_update(CALLING_USER, location_id="L1", calling_parameters=True),
    ),
    (
        "subscriber precheck",
        "POST",
        "/wholesale/subscribers/validate",
        bodies.subscriber_precheck(CALLING_USER, customer_id="C1", location_id="L1"),
    ),
    ("location create", "POST", "/locations", bodies.location_create(BRANCH)),
    ("location update", "PUT", "/locations/L1", bodies.location_update(BRANCH)),
    (
        "person update",
        "PUT",
        "/people/P1",
        bodies.person_update(PERSON, CALLING_USER, location_id="L1", role_ids=["R1"]),
    ),
    (
        "person update, no names",
        "PUT",
        "/people/P1",
        bodies.person_update(PERSON, MEETINGS_USER, location_id=None, role_ids=[]),
    ),
]


@pytest.mark.parametrize(("name", "method", "path", "body"), CASES, ids=[c[0] for c in CASES])
def test_live_body_matches_official_request_schema(
    name: str, method: str, path: str, body: dict[str, Any]
) -> None:
    check_request(method, path, body, strict=True)


def test_live_contract_check_catches_a_broken_body() -> None:
    body = bodies.customer_create(CALLING_CUSTOMER, provisioning_id="PROV1", headquarters=HQ)
    del body["provisioningParameters"]["calling"]["location"]["timezone"]
    with pytest.raises(ContractViolation, match="timezone"):
        check_request("POST", "/wholesale/customers", body)


def test_live_customer_create_maps_every_field() -> None:
    body = bodies.customer_create(CALLING_CUSTOMER, provisioning_id="PROV1", headquarters=HQ)
    assert body == {
        "provisioningId": "PROV1",
        "packages": ["cisco_calling_plan", "webex_calling"],
        "externalId": "acme",
        "address": {
            "addressLine1": "771 Alder Drive",
            "addressLine2": "Site 5",
            "city": "Milpitas",
            "stateOrProvince": "CA",
            "zipOrPostalCode": "95035",
            "country": "US",
        },
        "customerInfo": {"name": "Acme Inc", "primaryEmail": "admin@acme.com", "language": "en"},
        "provisioningParameters": {
            "calling": {
                "location": {
                    "name": "Head Office",
                    "address": {
                        "addressLine1": "771 Alder Drive",
                        "addressLine2": "Site 5",
                        "city": "Milpitas",
                        "stateOrProvince": "CA",
                        "zipOrPostalCode": "95035",
                        "country": "US",
                    },
                    "timezone": "America/Los_Angeles",
                    "language": "en_us",
                }
            },
            "meetings": {"timezone": "America/Los_Angeles"},
        },
    }


def test_live_meetings_customer_sends_no_calling_parameters() -> None:
    body = bodies.customer_create(MEETINGS_CUSTOMER, provisioning_id="P", headquarters=HQ)
    assert "provisioningParameters" not in body
    assert body["address"] == {"addressLine1": "1 Main St", "city": "Berlin", "country": "DE"}


def test_live_location_bodies_use_the_locations_address_shape() -> None:
    body = bodies.location_create(BRANCH)
    assert body["address"]["address1"] == "771 Alder Drive"
    assert body["address"]["postalCode"] == "95035"
    assert body["announcementLanguage"] == "en_us"  # falls back to the preferred language
    assert "announcementLanguage" not in bodies.location_update(BRANCH)


def test_live_person_update_keeps_unmanaged_fields_and_sets_managed_ones() -> None:
    body = bodies.person_update(PERSON, CALLING_USER, location_id="L1", role_ids=["R1"])
    assert body["licenses"] == ["L1"]
    assert body["emails"] == ["alice@acme.com"]
    assert body["displayName"] == "Alice Anders"
    assert body["phoneNumbers"] == [{"type": "work", "value": "+14085551234"}]
    assert body["extension"] == "1234"
    assert body["locationId"] == "L1"
    assert body["roles"] == ["R1"]
    assert "id" not in body
    assert "created" not in body
    assert "status" not in body


def test_live_subscriber_update_sends_numbers_only_when_moving_to_calling() -> None:
    assert bodies.subscriber_update(CALLING_USER) == {"packages": ["webex_calling"]}
    moved = bodies.subscriber_update(CALLING_USER, location_id="L1", calling_parameters=True)
    assert moved["provisioningParameters"] == {
        "primaryPhoneNumber": "+14085551234",
        "extension": "1234",
        "locationId": "L1",
    }


@pytest.mark.parametrize(
    ("read", "sent"),
    [("true", True), ("false", False), ("TRUE", True), (True, True), (False, False)],
)
def test_live_person_update_sends_login_enabled_as_a_boolean(read: Any, sent: bool) -> None:
    # The official GET schema answers the string enum; the PUT schema takes a boolean.
    person = {**PERSON, "loginEnabled": read}
    body = bodies.person_update(person, CALLING_USER, location_id="L1", role_ids=["R1"])
    assert body["loginEnabled"] is sent
    check_request("PUT", "/people/P1", body, strict=True)


@pytest.mark.parametrize("read", ["yes", "", 1, None])
def test_live_person_update_leaves_out_a_login_enabled_it_cannot_read(read: Any) -> None:
    person = {**PERSON, "loginEnabled": read}
    body = bodies.person_update(person, CALLING_USER, location_id="L1", role_ids=["R1"])
    assert "loginEnabled" not in body
    check_request("PUT", "/people/P1", body, strict=True)


def test_live_person_put_schema_refuses_the_string_the_get_gives() -> None:
    body = bodies.person_update(PERSON, CALLING_USER, location_id="L1", role_ids=["R1"])
    with pytest.raises(ContractViolation, match="loginEnabled"):
        check_request("PUT", "/people/P1", {**body, "loginEnabled": "true"}, strict=True)
