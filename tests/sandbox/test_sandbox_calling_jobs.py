"""Move-users and disable-calling jobs: asynchronous on the injected clock, refusals like Webex."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from calling_helpers import TEL, add_numbers, enable, inventory, with_branch
from contract import ContractViolation, check_response, find_operation
from sandbox_helpers import Sandbox, subscriber_body

pytestmark = pytest.mark.anyio
MOVE = f"{TEL}/jobs/person/moveLocation"
DISABLE = f"{TEL}/jobs/locations/deleteCallingLocation"


def test_telephony_exchanges_are_contract_checked() -> None:
    found = find_operation("GET", "https://webexapis.com/v1/telephony/config/numbers")
    assert found is not None
    assert found.spec == "calling"
    with pytest.raises(ContractViolation, match="phoneNumbers"):
        check_response("GET", "/v1/telephony/config/numbers", 200, {"items": []})
    with pytest.raises(ContractViolation, match="is not one of"):
        check_response(
            "POST",
            f"/v1{TEL}/locations/x/actions/precheckForDeletion/invoke",
            200,
            {"locationDeleteStatus": {"blocked": True}},
        )


async def _calling_user(box: Sandbox, customer_id: str, email: str, **params: str) -> str:
    body = subscriber_body(customer_id, email, **params)
    response = await box.client.post("/wholesale/subscribers", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["personId"])


def _move(location_id: str, *users: dict[str, Any], validate: bool = False) -> dict[str, Any]:
    return {"usersList": [{"locationId": location_id, "validate": validate, "users": list(users)}]}


async def test_move_job_runs_on_the_clock_and_takes_the_number(sandbox: Sandbox) -> None:
    customer_id, org, hq, branch = await with_branch(sandbox)
    await enable(sandbox, org, branch)
    await add_numbers(sandbox, org, hq, "+15125550601")
    person = await _calling_user(
        sandbox, customer_id, "mv@acme.example.com", primaryPhoneNumber="+15125550601"
    )
    started = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(branch, {"userId": person})
    )
    assert started.status_code == 201, started.text
    job = started.json()["response"]
    assert job["latestExecutionStatus"] == "STARTED"
    url = f"{MOVE}/{job['id']}"
    running = (await sandbox.client.get(url, params={"orgId": org})).json()
    assert running["latestExecutionStatus"] == "STARTED"
    assert (await sandbox.client.get(f"/people/{person}")).json()["locationId"] == hq
    sandbox.clock.advance(sandbox.config.job_seconds)
    done = (await sandbox.client.get(url, params={"orgId": org})).json()
    assert (done["latestExecutionStatus"], done["latestExecutionExitCode"]) == (
        "COMPLETED",
        "COMPLETED",
    )
    assert done["counts"]["moved"] == 1
    assert (await sandbox.client.get(f"/people/{person}")).json()["locationId"] == branch
    assert (await inventory(sandbox, org))["+15125550601"]["location"]["id"] == branch
    other_org = (await sandbox.customer("other"))[1]
    assert (await sandbox.client.get(url, params={"orgId": other_org})).status_code == 404


async def test_validate_only_reports_the_number_not_in_the_target(sandbox: Sandbox) -> None:
    customer_id, org, hq, branch = await with_branch(sandbox)
    await enable(sandbox, org, branch)
    await add_numbers(sandbox, org, hq, "+15125550701")
    person = await _calling_user(sandbox, customer_id, "v@acme.example.com", extension="5100")
    wrong = {"userId": person, "phoneNumber": "+15125550701"}  # HQ's number, not Branch's
    answer = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(branch, wrong, validate=True)
    )
    assert answer.status_code == 200
    [result] = answer.json()["response"]
    assert [e["code"] for e in result["errors"]] == [27966]
    same = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(hq, {"userId": person}, validate=True)
    )
    assert [e["code"] for e in same.json()["response"][0]["errors"]] == [25378]
    assert (await sandbox.client.get(f"/people/{person}")).json()["locationId"] == hq
    # the same move for real: the job fails on its own errors, nothing moves
    job = (await sandbox.client.post(MOVE, params={"orgId": org}, json=_move(branch, wrong))).json()
    sandbox.clock.advance(sandbox.config.job_seconds)
    done = (
        await sandbox.client.get(f"{MOVE}/{job['response']['id']}", params={"orgId": org})
    ).json()
    assert (done["latestExecutionExitCode"], done["counts"]["failed"]) == ("FAILED", 1)
    assert (await sandbox.client.get(f"/people/{person}")).json()["locationId"] == hq


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"usersList": []}, 1026011),
        ({"usersList": [{"locationId": "L", "users": [{"userId": "u"}]}]}, 1026006),
        ({"usersList": [{"locationId": "L", "validate": False, "users": []}]}, 1026012),
        ({"usersList": [{"validate": False, "users": [{"userId": "u"}]}]}, 1026021),
        (_move("L", {"userId": "u"}, {"userId": "u"}), 1026019),
        (_move("L", {"userId": "u"}, {"userId": "w"}, validate=True), 1026020),
        (_move("L", {"userId": "u", "phoneNumber": "555"}), 1026017),
        (_move("L", *({"userId": f"u{i}"} for i in range(101))), 1026018),
        (_move("L", {"userId": "nobody"}), 2150012),
    ],
)
async def test_move_request_refusals_carry_the_documented_codes(
    sandbox: Sandbox, body: dict[str, Any], code: int
) -> None:
    _, org = await sandbox.customer()
    refused = await sandbox.client.post(MOVE, params={"orgId": org}, json=body)
    assert (refused.status_code, refused.json()["errors"][0]["errorCode"]) == (400, code)


async def test_a_non_calling_user_moves_at_once_without_a_job(sandbox: Sandbox) -> None:
    customer_id, org, hq, branch = await with_branch(sandbox)
    body = subscriber_body(customer_id, "meet@acme.example.com", package="webex_meetings")
    person = (await sandbox.client.post("/wholesale/subscribers", json=body)).json()["personId"]
    answer = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(branch, {"userId": person})
    )
    assert answer.status_code == 200
    assert (await sandbox.client.get(f"/people/{person}")).json()["locationId"] == branch
    refused = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(hq, {"userId": person}, validate=True)
    )
    assert refused.json()["errors"][0]["errorCode"] == 1026022


async def test_disable_calling_then_delete_the_location(sandbox: Sandbox) -> None:
    customer_id, org, hq, branch = await with_branch(sandbox)
    await enable(sandbox, org, branch)
    await add_numbers(sandbox, org, branch, "+15125550801")
    person = await _calling_user(
        sandbox, customer_id, "d@acme.example.com", extension="5200", locationId=branch
    )
    check = f"{TEL}/locations/{branch}/actions/precheckForDeletion/invoke"
    hq_check = (
        await sandbox.client.post(
            f"{TEL}/locations/{hq}/actions/precheckForDeletion/invoke", params={"orgId": org}
        )
    ).json()
    assert (hq_check["locationDeleteStatus"], hq_check["blocking"]["lastLocation"]) == (
        "BLOCKED",
        False,
    )
    blocked = (await sandbox.client.post(check, params={"orgId": org})).json()
    assert (blocked["locationDeleteStatus"], blocked["blocking"]["usersInUseCount"]) == (
        "BLOCKED",
        1,
    )
    assert blocked["nonBlocking"]["numbersPresent"] is True
    job = (
        await sandbox.client.post(DISABLE, params={"orgId": org}, json={"locationId": branch})
    ).json()
    sandbox.clock.advance(sandbox.config.job_seconds)
    failed = (await sandbox.client.get(f"{DISABLE}/{job['id']}", params={"orgId": org})).json()
    assert failed["latestExecutionExitCode"] == "FAILED"
    errors = await sandbox.client.get(f"{DISABLE}/{job['id']}/errors", params={"orgId": org})
    (item,) = errors.json()["items"]
    assert (item["errorType"], item["error"]["message"][0]["code"]) == ("ERROR", "BATCH-1012007")
    assert item["error"]["message"][0]["locationId"] == branch
    assert (
        await sandbox.client.delete(f"/locations/{branch}", params={"orgId": org})
    ).status_code == 409
    # the user leaves first (a move), then the disable runs and the delete succeeds
    moved = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(hq, {"userId": person})
    )
    assert moved.status_code == 201
    sandbox.clock.advance(sandbox.config.job_seconds)
    assert (await sandbox.client.post(check, params={"orgId": org})).json()[
        "locationDeleteStatus"
    ] == "UNBLOCKED"
    started = await sandbox.client.post(
        DISABLE, params={"orgId": org}, json={"locationId": branch, "locationName": "Branch"}
    )
    assert (started.status_code, started.json()["latestExecutionStatus"]) == (202, "STARTED")
    sandbox.clock.advance(sandbox.config.job_seconds)
    done = (
        await sandbox.client.get(f"{DISABLE}/{started.json()['id']}", params={"orgId": org})
    ).json()
    assert (done["latestExecutionExitCode"], done["locationName"]) == ("COMPLETED", "Branch")
    assert "+15125550801" not in await inventory(sandbox, org)
    assert (
        await sandbox.client.get(f"{TEL}/locations/{branch}", params={"orgId": org})
    ).status_code == 404
    assert (
        await sandbox.client.delete(f"/locations/{branch}", params={"orgId": org})
    ).status_code == 204


async def test_headquarters_calling_cannot_be_disabled_nor_the_location_deleted(
    sandbox_factory: Any,
) -> None:
    box = await sandbox_factory(disable_calling_blocked="refuse")
    _, org, hq, _ = await with_branch(box)
    check = (
        await box.client.post(
            f"{TEL}/locations/{hq}/actions/precheckForDeletion/invoke", params={"orgId": org}
        )
    ).json()
    assert check["blocking"]["lastLocation"] is True
    refused = await box.client.post(DISABLE, params={"orgId": org}, json={"locationId": hq})
    assert refused.status_code == 409
    assert "last calling location" in refused.json()["errors"][0]["description"]
    deleted = await box.client.delete(f"/locations/{hq}", params={"orgId": org})
    assert deleted.status_code == box.config.headquarters_delete_status
    assert (await box.client.post(DISABLE, params={"orgId": org}, json={})).status_code == 400


async def test_without_move_keeps_number_the_target_number_must_be_given(
    sandbox_factory: Any,
) -> None:
    box = await sandbox_factory(move_keeps_number=False)
    customer_id, org, hq, branch = await with_branch(box)
    await enable(box, org, branch)
    await add_numbers(box, org, hq, "+15125550901")
    await add_numbers(box, org, branch, "+15125550902")
    person = await _calling_user(
        box, customer_id, "k@acme.example.com", primaryPhoneNumber="+15125550901"
    )
    bare = await box.client.post(
        MOVE, params={"orgId": org}, json=_move(branch, {"userId": person}, validate=True)
    )
    assert [e["code"] for e in bare.json()["response"][0]["errors"]] == [27966]
    given = {"userId": person, "phoneNumber": "+15125550902"}
    ok = await box.client.post(
        MOVE, params={"orgId": org}, json=_move(branch, given, validate=True)
    )
    assert ok.json()["response"][0]["errors"] == []


async def test_a_job_outlives_a_sandbox_restart(tmp_path: Any) -> None:
    """The jobs are stored: a client killed mid-job finds it again, running or finished."""
    from sandbox_helpers import make_sandbox

    db = str(tmp_path / "sandbox.sqlite")
    first = make_sandbox(db=db)
    await first.template()
    customer_id, org, _, branch = await with_branch(first)
    await enable(first, org, branch)
    person = await _calling_user(first, customer_id, "r@acme.example.com", extension="5300")
    job = (
        await first.client.post(MOVE, params={"orgId": org}, json=_move(branch, {"userId": person}))
    ).json()
    await first.close()
    second = make_sandbox(db=db)
    second.clock.now = first.clock.now  # the same moment, seen by the restarted sandbox
    url = f"{MOVE}/{job['response']['id']}"
    assert (await second.client.get(url, params={"orgId": org})).json()[
        "latestExecutionStatus"
    ] == "STARTED"
    second.clock.advance(second.config.job_seconds)
    assert (await second.client.get(url, params={"orgId": org})).json()[
        "latestExecutionStatus"
    ] == "COMPLETED"
    assert (await second.client.get(f"/people/{person}")).json()["locationId"] == branch
    await second.close()


async def test_a_deleted_customer_takes_its_numbers_and_jobs(sandbox: Sandbox) -> None:
    customer_id, org, hq, branch = await with_branch(sandbox)
    await enable(sandbox, org, branch)
    await add_numbers(sandbox, org, hq, "+15125551001")
    await sandbox.client.post(DISABLE, params={"orgId": org}, json={"locationId": branch})
    assert (await sandbox.client.delete(f"/wholesale/customers/{customer_id}")).status_code == 202
    sandbox.clock.advance(sandbox.config.provision_seconds)
    gone = await sandbox.client.get(f"/wholesale/customers/{customer_id}")
    assert gone.status_code == 404  # the deletion settled (the admin API does not settle)
    dump = (await sandbox.admin("GET", "dump")).json()
    assert (dump["numbers"], dump["jobs"]) == ([], [])


GARBAGE: list[Any] = [
    None,
    [],
    "x",
    {},
    {"usersList": [1]},
    {"usersList": [{"validate": True, "locationId": 5, "users": [{"userId": 7}]}]},
    {"usersList": [{"validate": False, "locationId": "L", "users": ["u"]}]},
    {"phoneNumbers": [1, 2]},
    {"phoneNumbers": "+15125550000"},
    {"phoneNumbers": ["+15125550000"], "state": "ON", "numberType": "FAX"},
    {"id": 1, "name": ["n"], "address": "here"},
    {
        "id": "x",
        "name": "n",
        "timeZone": "t",
        "preferredLanguage": "xx-yy-zz",
        "announcementLanguage": "en_us",
        "address": {"address1": 1, "city": None, "country": "USA"},
    },
    {"locationId": ["L"], "forceDelete": "yes"},
]


@pytest.mark.parametrize("body", GARBAGE)
async def test_malformed_bodies_are_refused_with_a_4xx_never_a_5xx(
    sandbox: Sandbox, body: Any
) -> None:
    _, org, hq, _ = await with_branch(sandbox)
    raw = sandbox.raw()
    try:
        for method, path in (
            ("POST", f"{TEL}/locations"),
            ("POST", f"{TEL}/locations/{hq}/numbers"),
            ("DELETE", f"{TEL}/locations/{hq}/numbers"),
            ("POST", MOVE),
            ("POST", DISABLE),
        ):
            response = await raw.request(method, path, params={"orgId": org}, json=body)
            assert 400 <= response.status_code < 500, (method, path, response.text)
            assert response.json()["message"]
    finally:
        await raw.aclose()
    for bad in ({"start": "-1"}, {"max": "0"}, {"available": "maybe"}, {"state": "ON"}):
        response = await sandbox.client.get(f"{TEL}/numbers", params={"orgId": org, **bad})
        assert response.status_code == 400, bad


async def test_headquarters_disable_switch(sandbox_factory: Any) -> None:
    """With ``headquarters_disable_blocked=False`` only the last calling location blocks."""
    box = await sandbox_factory(headquarters_disable_blocked=False)
    _, org, hq, branch = await with_branch(box)
    await enable(box, org, branch)
    check = f"{TEL}/locations/{hq}/actions/precheckForDeletion/invoke"
    assert (await box.client.post(check, params={"orgId": org})).json()[
        "locationDeleteStatus"
    ] == "UNBLOCKED"
    job = (await box.client.post(DISABLE, params={"orgId": org}, json={"locationId": hq})).json()
    box.clock.advance(box.config.job_seconds)
    done = (await box.client.get(f"{DISABLE}/{job['id']}", params={"orgId": org})).json()
    assert done["latestExecutionExitCode"] == "COMPLETED"
    # still the headquarters: never deleted
    deleted = await box.client.delete(f"/locations/{hq}", params={"orgId": org})
    assert deleted.status_code == 409


async def test_job_lists_name_every_job_most_recent_first(sandbox: Sandbox) -> None:
    """The list of each job kind: the org's own jobs, newest first, running or finished, a
    disable job naming its location by ``locationName``; another org sees none of them."""
    customer_id, org, hq, branch = await with_branch(sandbox)
    await enable(sandbox, org, branch)
    person = await _calling_user(sandbox, customer_id, "l@acme.example.com", extension="5300")
    assert (await sandbox.client.get(MOVE, params={"orgId": org})).json() == {"items": []}
    first = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(branch, {"userId": person})
    )
    sandbox.clock.advance(sandbox.config.job_seconds)
    second = await sandbox.client.post(
        MOVE, params={"orgId": org}, json=_move(hq, {"userId": person})
    )
    listed = (await sandbox.client.get(MOVE, params={"orgId": org})).json()["items"]
    assert [j["id"] for j in listed] == [
        second.json()["response"]["id"],
        first.json()["response"]["id"],
    ]
    assert [j["latestExecutionStatus"] for j in listed] == ["STARTED", "COMPLETED"]
    paged = await sandbox.client.get(MOVE, params={"orgId": org, "max": 1})
    assert len(paged.json()["items"]) == 1
    assert 'rel="next"' in paged.headers["link"]
    sandbox.clock.advance(sandbox.config.job_seconds)
    disable = await sandbox.client.post(
        DISABLE, params={"orgId": org}, json={"locationId": branch, "locationName": "Branch"}
    )
    (job,) = (await sandbox.client.get(DISABLE, params={"orgId": org})).json()["items"]
    assert (job["id"], job["locationName"]) == (disable.json()["id"], "Branch")
    other_org = (await sandbox.customer("other"))[1]
    assert (await sandbox.client.get(MOVE, params={"orgId": other_org})).json()["items"] == []
    assert (await sandbox.client.get(DISABLE, params={"orgId": other_org})).json()["items"] == []


async def test_a_failed_move_job_lists_its_errors(sandbox: Sandbox) -> None:
    """``…/{jobId}/errors``: none while the job runs or when it completed; one item per user it
    could not move, with the code and message the validation would have given."""
    customer_id, org, hq, branch = await with_branch(sandbox)
    await enable(sandbox, org, branch)
    await add_numbers(sandbox, org, hq, "+15125550611")
    person = await _calling_user(sandbox, customer_id, "e@acme.example.com", extension="5400")
    body = _move(branch, {"userId": person, "phoneNumber": "+15125550611"})
    job = (await sandbox.client.post(MOVE, params={"orgId": org}, json=body)).json()["response"]
    url = f"{MOVE}/{job['id']}/errors"
    assert (await sandbox.client.get(url, params={"orgId": org})).json()["items"] == []
    sandbox.clock.advance(sandbox.config.job_seconds)
    (item,) = (await sandbox.client.get(url, params={"orgId": org})).json()["items"]
    (message,) = item["error"]["message"]
    assert (message["code"], message["location"]) == ("27966", branch)
    assert "+15125550611" in message["description"]
    raw = base64.b64decode(person + "=" * (-len(person) % 4)).decode()
    assert raw.endswith(f"/PEOPLE/{item['item']}")  # the user's UUID
    other_org = (await sandbox.customer("other"))[1]
    assert (await sandbox.client.get(url, params={"orgId": other_org})).status_code == 404
