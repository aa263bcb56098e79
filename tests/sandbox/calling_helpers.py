"""Helpers for the calling tests: a customer with a plain second location, enabling it."""

from __future__ import annotations

from typing import Any

from sandbox_helpers import READ, Sandbox, location_body

TEL = "/telephony/config"


def enable_body(location_id: str, name: str = "Branch", **address: str) -> dict[str, Any]:
    return {
        "id": location_id,
        "name": name,
        "timeZone": "America/Chicago",
        "preferredLanguage": "en_us",
        "announcementLanguage": "en_us",
        "address": {
            "address1": "2 Side St",
            "city": "Dallas",
            "state": "TX",
            "postalCode": "75001",
            "country": "US",
            **address,
        },
    }


async def with_branch(box: Sandbox, external_id: str = "acme") -> tuple[str, str, str, str]:
    """A provisioned calling customer (HQ is a calling location) and a plain ``Branch``:
    ``(customerId, orgId, hqId, branchId)``."""
    customer_id, org = await box.customer(external_id)
    hq = (await box.client.get("/locations", params={"orgId": org})).json()["items"][0]["id"]
    created = await box.client.post(
        "/locations", params={"orgId": org}, json=location_body("Branch")
    )
    assert created.status_code == 201, created.text
    return customer_id, org, hq, created.json()["id"]


async def enable(box: Sandbox, org: str, location_id: str, name: str = "Branch") -> None:
    response = await box.client.post(
        f"{TEL}/locations", params={"orgId": org}, json=enable_body(location_id, name)
    )
    assert response.status_code == 201, response.text


async def add_numbers(box: Sandbox, org: str, location_id: str, *numbers: str) -> None:
    response = await box.client.post(
        f"{TEL}/locations/{location_id}/numbers",
        params={"orgId": org},
        json={"phoneNumbers": list(numbers)},
    )
    assert response.status_code == 201, response.text


async def inventory(box: Sandbox, org: str, **params: str) -> dict[str, dict[str, Any]]:
    """Every number of the org (following ``Link``), by number."""
    out: dict[str, dict[str, Any]] = {}
    response = await box.client.get(f"{TEL}/numbers", params={"orgId": org, **params})
    while True:
        assert response.status_code == 200, response.text
        out.update({n["phoneNumber"]: n for n in response.json()["phoneNumbers"]})
        if "next" not in response.links:
            return out
        response = await box.client.get(response.links["next"]["url"])


__all__ = ["READ", "TEL", "add_numbers", "enable", "enable_body", "inventory", "with_branch"]
