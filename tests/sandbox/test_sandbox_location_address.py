"""``POST /locations`` asks for ``state`` / ``postalCode`` as the address's country
configuration does (the facts the planner reads from ``/telephony/config/countries``), or for
both everywhere with ``location_address_by_country`` off."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import location_body, make_sandbox

pytestmark = pytest.mark.anyio


def body(country: str, **address: Any) -> dict[str, Any]:
    data = location_body("Branch")
    data["address"] = {"address1": "1 High St", "city": "Somewhere", "country": country, **address}
    return data


async def create(by_country: bool, data: dict[str, Any]) -> tuple[int, str]:
    box = make_sandbox(location_address_by_country=by_country)
    try:
        await box.template()
        _, org = await box.customer("acme")
        async with box.raw() as raw:  # the request schema lists both as required: no check
            answer = await raw.post("/locations", params={"orgId": org}, json=data)
        return answer.status_code, answer.text
    finally:
        await box.close()


async def test_a_country_that_needs_no_state_takes_a_location_without_one() -> None:
    assert (await create(True, body("GB", postalCode="M3 3HF")))[0] == 201


async def test_what_the_country_requires_is_still_refused() -> None:
    status, text = await create(True, body("GB"))
    assert status == 400
    assert "address.postalCode is required." in text
    status, text = await create(True, body("US", postalCode="75201"))
    assert status == 400
    assert "address.state is required." in text


async def test_with_the_switch_off_both_are_required_everywhere() -> None:
    status, text = await create(False, body("GB", postalCode="M3 3HF"))
    assert status == 400
    assert "address.state is required." in text
