"""Every error status maps to one exception class carrying the Webex error details."""

from __future__ import annotations

import httpx
import pytest
from api_helpers import FakeTime, Recorder, error_body, make_client, run

from reconciler.api import RetryPolicy
from reconciler.errors import (
    ApiError,
    AuthError,
    BadRequest,
    Conflict,
    NotFound,
    RateLimited,
    ServerError,
)

NO_RETRY = RetryPolicy(attempts=1, rate_limit_attempts=1)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (405, BadRequest),
        (409, Conflict),
        (410, NotFound),
        (415, BadRequest),
        (423, RateLimited),
        (428, BadRequest),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
    ],
)
def test_api_error_status_maps_to_class_with_details(
    status: int, cls: type[ApiError], fake_time: FakeTime
) -> None:
    rec = Recorder(lambda r: httpx.Response(status, json=error_body("It failed", 10022, 4003)))

    async def go() -> ApiError:
        async with rec.http() as http:
            client = make_client(http, fake_time, retry=NO_RETRY)
            with pytest.raises(ApiError) as info:
                await client.get_subscriber("S1")
            return info.value

    err = run(go())
    assert type(err) is cls
    assert err.status == status
    assert err.error_codes == (10022, 4003)
    assert err.message.startswith("It failed")
    assert err.tracking_id == "TRK_1"
    assert err.method == "GET"
    assert err.path == "/wholesale/subscribers/S1"
    assert err.descriptions == ("description 10022", "description 4003")
    text = str(err)
    assert f"HTTP {status}" in text
    assert "errorCode 10022, 4003" in text
    assert "trackingId=TRK_1" in text


def test_api_error_without_body_uses_reason_and_tracking_header(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(404, headers={"trackingid": "HDR_9"}))

    async def go() -> ApiError:
        async with rec.http() as http:
            with pytest.raises(NotFound) as info:
                await make_client(http, fake_time).get_customer("C1")
            return info.value

    err = run(go())
    assert err.message == "Not Found"
    assert err.tracking_id == "HDR_9"
    assert err.error_codes == ()


def test_api_error_tolerates_odd_error_items(fake_time: FakeTime) -> None:
    body = {"message": "m", "errors": ["x", {"description": "only text"}, {"errorCode": "77"}]}
    rec = Recorder(lambda r: httpx.Response(400, json=body))

    async def go() -> ApiError:
        async with rec.http() as http:
            with pytest.raises(BadRequest) as info:
                await make_client(http, fake_time).get_customer("C1")
            return info.value

    err = run(go())
    assert err.error_codes == (77,)
    assert err.descriptions == ("only text",)


def test_api_sends_bearer_and_a_fresh_tracking_id_per_request(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"items": []}))

    async def go() -> None:
        async with rec.http() as http:
            client = make_client(http, fake_time)
            await client.list_roles()
            await client.list_roles()

    run(go())
    ids = [r.headers["TrackingID"] for r in rec.requests]
    assert len(set(ids)) == 2
    assert all(i.startswith("RECONCILER_") for i in ids)
    assert rec.requests[0].headers["Authorization"].startswith("Bearer ")


def test_api_create_customer_returns_id_from_location_header(fake_time: FakeTime) -> None:
    url = "https://webexapis.com/v1/wholesale/customers/Y2lz123"
    rec = Recorder(lambda r: httpx.Response(202, headers={"Location": url}, json={"url": url}))

    async def go() -> str:
        async with rec.http() as http:
            return await make_client(http, fake_time).create_customer({"externalId": "x"})

    assert run(go()) == "Y2lz123"


def test_api_create_location_returns_id_and_sends_org(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(201, json={"id": "LOC1"}))

    async def go() -> str:
        async with rec.http() as http:
            return await make_client(http, fake_time).create_location("ORG1", {"name": "HQ"})

    assert run(go()) == "LOC1"
    assert rec.requests[0].url.params["orgId"] == "ORG1"
