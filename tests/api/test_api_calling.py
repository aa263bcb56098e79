"""The Webex Calling client methods: paths, bodies, keyed Link paging, answers' shapes; and
one round trip through the sandbox with every exchange contract-checked."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from api_helpers import BASE, FakeTime, Recorder, error_body, make_client, run
from contract import check_exchange

from reconciler.api.client import move_job_of
from reconciler.errors import ApiError
from reconciler.sandbox import SandboxConfig, create_app

TEL = f"{BASE}/telephony/config"


def numbers_server(total: int, page: int) -> Recorder:
    """An inventory of ``total`` numbers answering ``page`` a time with ``Link``."""

    def respond(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("start", "0"))
        items = [{"phoneNumber": f"+1512555{i:04d}", "state": "ACTIVE"} for i in range(total)]
        headers = {}
        if start + page < total:
            nxt = request.url.copy_set_param("start", str(start + page))
            headers["Link"] = f'<{nxt.copy_set_param("max", "null")}>; rel="next"'
        return httpx.Response(
            200, json={"phoneNumbers": items[start : start + page]}, headers=headers
        )

    return Recorder(respond)


@pytest.mark.parametrize(("total", "requests"), [(0, 1), (5, 1), (2000, 1), (2001, 2), (4500, 3)])
def test_numbers_follow_link_pages(total: int, requests: int, fake_time: FakeTime) -> None:
    rec = numbers_server(total, 2000)

    async def go() -> list[dict[str, Any]]:
        async with rec.http() as http:
            return await make_client(http, fake_time).list_numbers("ORG", location_id="LOC")

    found = run(go())
    assert len(found) == total
    assert len(rec.requests) == requests
    first = rec.requests[0].url
    assert (first.path, first.params["orgId"], first.params["locationId"]) == (
        "/v1/telephony/config/numbers",
        "ORG",
        "LOC",
    )
    # every page asks for the documented 2000, a stray max=null repaired
    assert {r.url.params["max"] for r in rec.requests} == {"2000"}


def test_a_list_without_its_key_is_an_error(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"locations": "nope"}))

    async def go() -> Any:
        async with rec.http() as http:
            return await make_client(http, fake_time).list_calling_locations("ORG")

    with pytest.raises(ApiError, match="without a locations array"):
        run(go())


def test_writes_send_the_documented_bodies(fake_time: FakeTime) -> None:
    answers = {
        ("POST", "/v1/telephony/config/locations"): httpx.Response(201, json={"id": "L1"}),
        ("POST", "/v1/telephony/config/jobs/locations/deleteCallingLocation"): httpx.Response(
            202, json={"id": "J1", "latestExecutionStatus": "STARTING"}
        ),
    }
    rec = Recorder(lambda r: answers.get((r.method, r.url.path), httpx.Response(204)))
    numbers = [f"+1512555000{i}" for i in range(7)]

    async def go() -> tuple[str, dict[str, Any]]:
        async with rec.http() as http:
            client = make_client(http, fake_time)
            new_id = await client.enable_calling_location("ORG", {"id": "L1", "name": "B"})
            await client.add_numbers("L1", "ORG", numbers[:2], state="ACTIVE")
            await client.remove_numbers("L1", "ORG", numbers)
            job = await client.disable_calling_location("L1", "ORG", name="B", force=True)
            return new_id, job

    new_id, job = run(go())
    assert (new_id, job["id"]) == ("L1", "J1")
    sent = [
        (r.method, r.url.path.removeprefix("/v1/telephony/config"), r.content) for r in rec.requests
    ]
    bodies = [httpx.Response(200, content=c).json() if c else None for _, _, c in sent]
    assert [m for m, _, _ in sent] == ["POST", "POST", "DELETE", "DELETE", "POST"]
    assert bodies[1] == {"phoneNumbers": numbers[:2], "state": "ACTIVE"}
    # at most five numbers a DELETE
    assert [b["phoneNumbers"] for b in bodies[2:4]] == [numbers[:5], numbers[5:]]
    assert bodies[4] == {"locationId": "L1", "locationName": "B", "forceDelete": True}
    assert all(r.url.params["orgId"] == "ORG" for r in rec.requests)


def test_an_enable_answer_without_id_and_a_refusal_are_errors(fake_time: FakeTime) -> None:
    rec = Recorder(
        lambda r: (
            httpx.Response(201, json={})
            if r.method == "POST"
            else httpx.Response(404, json=error_body("Location not found.", 4152))
        )
    )

    async def enable() -> Any:
        async with rec.http() as http:
            return await make_client(http, fake_time).enable_calling_location("O", {"id": "x"})

    async def details() -> Any:
        async with rec.http() as http:
            return await make_client(http, fake_time).get_calling_location("x", "O")

    with pytest.raises(ApiError, match="without an id"):
        run(enable())
    with pytest.raises(ApiError) as refused:
        run(details())
    assert refused.value.status == 404


def test_move_job_of_accepts_both_documented_shapes() -> None:
    job = {"id": "J", "latestExecutionStatus": "STARTED"}
    assert move_job_of({"response": job}) == job
    assert move_job_of({"response": {"usersList": [], "jobDetails": job}}) == job
    assert move_job_of({"response": [{"userId": "u", "errors": []}]}) is None
    assert move_job_of({}) is None


class Checked(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        response = httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )
        check_exchange(request, response)
        self.checked += 1
        return response


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def test_sandbox_round_trip(fake_time: FakeTime) -> None:
    """Enable a location, give it numbers, move a user there, disable another location:
    every client call against the sandbox, each exchange checked against the spec."""
    clock = Clock()
    app = create_app(
        SandboxConfig(clock=clock, implicit_calling_locations=False, numbers_page=(2, 2))
    )
    transport = Checked(httpx.ASGITransport(app=app))
    seed = {
        "customers": [
            {
                "externalId": "acme",
                "packages": ["webex_calling"],
                "address": {"addressLine1": "1 Main", "city": "Austin", "country": "US"},
                "locations": [
                    {"name": "HQ", "calling": True, "numbers": ["+15125550001"]},
                    {"name": "Branch"},
                    {"name": "Old", "calling": True},
                ],
                "subscribers": [
                    {
                        "email": "a@acme.example.com",
                        "package": "webex_calling",
                        "phoneNumber": "+15125550001",
                        "location": "HQ",
                    }
                ],
            }
        ]
    }

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport) as http:
            admin = await http.post("http://sandbox/_sandbox/seed", json=seed)
            org = admin.json()["customers"]["acme"]["orgId"]
            # the ASGI transport ignores the host: the client's usual base URL reaches the app
            client = make_client(http, fake_time, tokens="sandbox-full")
            plain = {loc["name"]: loc for loc in await client.list_locations(org)}
            branch = plain["Branch"]["id"]
            before = [loc["name"] for loc in await client.list_calling_locations(org)]
            assert before == ["HQ", "Old"]
            us = await client.get_country("US", org)
            assert us["stateRequired"] is True
            body = {
                "id": branch,
                "name": "Branch",
                "timeZone": "America/Chicago",
                "preferredLanguage": "en_us",
                "announcementLanguage": "en_us",
                "address": {
                    "address1": "2 Side St",
                    "city": "Dallas",
                    "state": "TX",
                    "postalCode": "75001",
                    "country": "US",
                },
            }
            assert await client.enable_calling_location(org, body) == branch
            assert (await client.get_calling_location(branch, org))["name"] == "Branch"
            await client.add_numbers(branch, org, ["+15125550002", "+15125550003"])
            numbers = await client.list_numbers(org)
            assert [n["phoneNumber"] for n in numbers] == [f"+1512555000{i}" for i in (1, 2, 3)]
            person = numbers[0]["owner"]["id"]
            move = {
                "usersList": [
                    {
                        "locationId": branch,
                        "validate": False,
                        "users": [{"userId": person, "phoneNumber": "+15125550002"}],
                    }
                ]
            }
            job = move_job_of(await client.move_users(org, move))
            assert job is not None
            clock.now += 1
            done = await client.get_move_users_job(job["id"], org)
            assert done["latestExecutionExitCode"] == "COMPLETED"
            at_branch = await client.list_numbers(org, location_id=branch)
            owners = {n["phoneNumber"]: n.get("owner", {}).get("id") for n in at_branch}
            assert owners == {"+15125550002": person, "+15125550003": None}
            await client.remove_numbers(branch, org, ["+15125550003"])
            old = plain["Old"]["id"]
            check = await client.precheck_location_delete(old, org)
            assert check["locationDeleteStatus"] == "UNBLOCKED"
            disable = await client.disable_calling_location(old, org)
            clock.now += 1
            status = await client.get_disable_calling_job(disable["id"], org)
            assert status["latestExecutionExitCode"] == "COMPLETED"
            await client.delete_location(old, org)
            left = [loc["name"] for loc in await client.list_calling_locations(org)]
            assert left == ["HQ", "Branch"]

    asyncio.run(go())
    assert transport.checked > 15
