"""Wholesale customers: lifecycle, list filters and paging, validation rules, precheck."""

from __future__ import annotations

from typing import Any

import pytest
from contract import ContractViolation
from sandbox_helpers import Sandbox, address, calling_params, customer_body

pytestmark = pytest.mark.anyio


async def test_provisioning_moves_to_provisioned_and_creates_admin_and_headquarters(
    sandbox: Sandbox,
) -> None:
    response = await sandbox.client.post("/wholesale/customers", json=customer_body("acme"))
    assert response.status_code == 202
    url = response.json()["url"]
    assert response.headers["location"] == url
    assert url.startswith("http://sandbox.test/v1/wholesale/customers/")
    customer_id = url.rsplit("/", 1)[1]

    doc = (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "provisioning"
    assert "orgId" not in doc
    sandbox.clock.advance(1.9)
    assert (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()[
        "status"
    ] == "provisioning"
    sandbox.clock.advance(0.1)
    doc = (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "provisioned"
    assert doc["packages"] == ["webex_calling", "webex_meetings"]
    assert {p["status"] for p in doc["resourceDetails"]["packages"]} == {"provisioned"}
    org_id = doc["orgId"]

    people = (await sandbox.client.get("/people", params={"orgId": org_id})).json()["items"]
    assert [p["emails"] for p in people] == [["admin@acme.example.com"]]
    roles = {r["name"]: r["id"] for r in (await sandbox.client.get("/roles")).json()["items"]}
    assert people[0]["roles"] == [roles["Full Administrator"]]
    locations = (await sandbox.client.get("/locations", params={"orgId": org_id})).json()
    assert [(loc["name"], loc["address"]["address1"]) for loc in locations["items"]] == [
        ("HQ", "1 Main St")
    ]


async def test_meetings_only_customer_gets_no_headquarters_location(sandbox: Sandbox) -> None:
    _, org_id = await sandbox.customer("meet", packages=["webex_meetings"], calling=False)
    locations = (await sandbox.client.get("/locations", params={"orgId": org_id})).json()
    assert locations["items"] == []
    people = (await sandbox.client.get("/people", params={"orgId": org_id})).json()["items"]
    assert len(people) == 1


async def test_ids_decode_like_webex_ids(sandbox: Sandbox) -> None:
    import base64

    customer_id, org_id = await sandbox.customer()

    def kind(value: str) -> str:
        text = base64.b64decode(value + "=" * (-len(value) % 4)).decode()
        assert text.startswith("ciscospark://us/")
        return text.split("/")[3]

    assert kind(customer_id) == "ENTERPRISE"
    assert kind(org_id) == "ORGANIZATION"
    assert "=" not in customer_id
    assert customer_id.split("/")[-1] != org_id


async def test_same_seed_mints_same_ids(sandbox_factory: Any) -> None:
    first = await (await sandbox_factory(seed=7)).provision("x")
    second = await (await sandbox_factory(seed=7)).provision("x")
    third = await (await sandbox_factory(seed=8)).provision("x")
    assert first == second != third


async def test_update_is_accepted_then_updating_then_provisioned(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    body = {"packages": ["webex_calling", "webex_suite"], "address": address("9 New Rd")}
    response = await sandbox.client.put(f"/wholesale/customers/{customer_id}", json=body)
    assert response.status_code == 202
    assert response.json()["url"].endswith(customer_id)
    doc = (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "updating"
    sandbox.clock.advance(2)
    doc = (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "provisioned"
    assert doc["packages"] == ["webex_calling", "webex_suite"]
    assert doc["address"]["addressLine1"] == "9 New Rd"


async def test_delete_is_accepted_then_deleting_then_gone_with_its_org(sandbox: Sandbox) -> None:
    customer_id, org_id = await sandbox.customer()
    response = await sandbox.client.delete(f"/wholesale/customers/{customer_id}")
    assert response.status_code == 202
    assert response.content == b""
    doc = (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "deleting"
    sandbox.clock.advance(2)
    assert (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).status_code == 404
    dump = (await sandbox.admin("GET", "dump")).json()
    assert dump["customers"] == []
    assert not [p for p in dump["people"] if p["orgId"] == org_id]
    assert not [loc for loc in dump["locations"] if loc["orgId"] == org_id]


async def test_writes_on_a_busy_customer_answer_423_with_retry_after(sandbox: Sandbox) -> None:
    customer_id = await sandbox.provision()
    sandbox.clock.advance(0.5)
    response = await sandbox.client.put(
        f"/wholesale/customers/{customer_id}", json={"packages": ["webex_meetings"]}
    )
    assert response.status_code == 423
    assert response.headers["retry-after"] == "2"
    assert (await sandbox.client.delete(f"/wholesale/customers/{customer_id}")).status_code == 423


async def test_zero_provision_seconds_provisions_at_once(sandbox_factory: Any) -> None:
    box = await sandbox_factory(provision_seconds=0)
    customer_id = await box.provision()
    doc = (await box.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "provisioned"


async def test_failing_provisioning_ends_in_error_without_org(sandbox_factory: Any) -> None:
    box = await sandbox_factory(provision_error_rate=1.0)
    customer_id = await box.provision()
    box.clock.advance(2)
    doc = (await box.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "error"
    assert "orgId" not in doc
    assert doc["errors"][0]["errorCode"] == 2560
    # a PUT retries the provisioning
    put = await box.client.put(
        f"/wholesale/customers/{customer_id}",
        json={
            "packages": ["webex_calling"],
            "provisioningParameters": {
                "calling": customer_body()["provisioningParameters"]["calling"]
            },
        },
    )
    assert put.status_code == 202
    box.clock.advance(2)
    doc = (await box.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "provisioned"
    assert doc["orgId"]


async def test_partial_provisioning_reports_the_failed_package(sandbox_factory: Any) -> None:
    box = await sandbox_factory(provision_partial_rate=1.0)
    customer_id = await box.provision()
    box.clock.advance(2)
    doc = (await box.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "provisioned_with_errors"
    assert doc["orgId"]
    failed = [p for p in doc["resourceDetails"]["packages"] if p["status"] == "error"]
    assert [p["name"] for p in failed] == ["webex_calling"]
    assert failed[0]["warnings"][0]["errorCode"] == 2560


async def test_provisioning_failure_share_is_seeded(sandbox_factory: Any) -> None:
    async def outcomes(seed: int) -> list[str]:
        box = await sandbox_factory(seed=seed, provision_error_rate=0.5)
        ids = [await box.provision(f"c{i}") for i in range(12)]
        box.clock.advance(2)
        return [(await box.client.get(f"/wholesale/customers/{i}")).json()["status"] for i in ids]

    first = await outcomes(3)
    assert first == await outcomes(3)
    assert set(first) == {"error", "provisioned"}


# listing --------------------------------------------------------------------------------
async def test_list_filters_by_external_id_org_id_and_status(sandbox: Sandbox) -> None:
    a, org_a = await sandbox.customer("a")
    b = await sandbox.provision("b")

    async def ids(**params: Any) -> list[str]:
        response = await sandbox.client.get("/wholesale/customers", params=params)
        assert response.status_code == 200
        return [c["id"] for c in response.json()["items"]]

    assert await ids() == [a, b]
    assert await ids(externalId="b") == [b]
    assert await ids(orgId=org_a) == [a]
    assert await ids(status="provisioning") == [b]
    assert await ids(status=["provisioning", "provisioned"]) == [a, b]
    assert await ids(status="provisioned,provisioning") == [a, b]
    assert await ids(externalId="nope") == []
    bad = await sandbox.client.get("/wholesale/customers", params={"status": "happy"})
    assert bad.status_code == 400


async def test_list_pages_with_offset_and_clamps_max(sandbox: Sandbox) -> None:
    seeded = [
        {"externalId": f"c{i:03d}", "packages": ["webex_meetings"], "address": address()}
        for i in range(130)
    ]
    await sandbox.admin("POST", "seed", {"customers": seeded})
    page = (await sandbox.client.get("/wholesale/customers", params={"max": 1000})).json()
    assert len(page["items"]) == 100
    default = (await sandbox.client.get("/wholesale/customers")).json()
    assert len(default["items"]) == 50
    rest = await sandbox.client.get("/wholesale/customers", params={"offset": 100, "max": 100})
    assert [c["externalId"] for c in rest.json()["items"]] == [f"c{i:03d}" for i in range(100, 130)]
    for bad in ({"max": "x"}, {"offset": "-1"}, {"max": "0"}):
        assert (await sandbox.client.get("/wholesale/customers", params=bad)).status_code == 400


# validation -----------------------------------------------------------------------------
def without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


INVALID = {
    "missing provisioningId": lambda: without(customer_body(), "provisioningId"),
    "missing packages": lambda: without(customer_body(), "packages"),
    "missing externalId": lambda: without(customer_body(), "externalId"),
    "missing address": lambda: without(customer_body(), "address"),
    "missing address city": lambda: without(customer_body(), "address", "city"),
    "missing customerInfo": lambda: without(customer_body(), "customerInfo"),
    "missing primaryEmail": lambda: without(customer_body(), "customerInfo", "primaryEmail"),
    "unknown package": lambda: customer_body(packages=["webex_teleport"]),
    "empty packages": lambda: customer_body(packages=[]),
    "cisco_calling_plan alone": lambda: customer_body(packages=["cisco_calling_plan"]),
    "attendant_console without base": lambda: customer_body(
        packages=["attendant_console", "webex_voice"]
    ),
    "calling package without location": lambda: customer_body(calling=False),
    "address line over 50": lambda: customer_body(address=address("x" * 51)),
    "country not ISO2": lambda: customer_body(address={**address(), "country": "USA"}),
    "percent in name": lambda: customer_body(
        customerInfo={"name": "100% Pizza", "primaryEmail": "a@b.example.com"}
    ),
    "calling location without timezone": lambda: without(
        customer_body(), "provisioningParameters", "calling", "location", "timezone"
    ),
    "calling location line over 50": lambda: customer_body(
        provisioningParameters={
            "calling": {
                "location": {
                    "name": "HQ",
                    "address": address("y" * 51),
                    "timezone": "America/Chicago",
                    "language": "en_us",
                }
            }
        }
    ),
    "packages not a list": lambda: customer_body(packages="webex_calling"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
async def test_invalid_provision_bodies_answer_400(sandbox: Sandbox, case: str) -> None:
    response = await sandbox.client.post("/wholesale/customers", json=INVALID[case]())
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"]
    assert body["errors"][0]["description"]
    assert (await sandbox.client.get("/wholesale/customers")).json()["items"] == []


async def test_valid_dependencies_are_accepted(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        "/wholesale/customers",
        json=customer_body(
            packages=["cisco_calling_plan", "webex_voice", "attendant_console", "cx_essentials"]
        ),
    )
    assert response.status_code == 202


async def test_duplicate_external_id_answers_409(sandbox: Sandbox) -> None:
    await sandbox.provision("acme")
    again = await sandbox.client.post(
        "/wholesale/customers", json=customer_body("acme", email="other@x.example.com")
    )
    assert again.status_code == 409


async def test_unknown_provisioning_id_answers_400(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        "/wholesale/customers", json=customer_body(provisioningId="NOT-A-TEMPLATE")
    )
    assert response.status_code == 400
    assert "provisioningId" in response.json()["message"]


async def test_admin_email_of_an_existing_user_answers_10022(sandbox: Sandbox) -> None:
    await sandbox.customer("a", email="boss@shared.example.com")
    response = await sandbox.client.post(
        "/wholesale/customers", json=customer_body("b", email="BOSS@shared.example.com")
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["errorCode"] == 10022


async def test_update_requires_packages_and_validates_them(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    url = f"/wholesale/customers/{customer_id}"
    assert (await sandbox.client.put(url, json={"address": address()})).status_code == 400
    bad = await sandbox.client.put(url, json={"packages": ["attendant_console"]})
    assert bad.status_code == 400
    assert (await sandbox.client.put(url, json={"packages": ["x"]})).status_code == 400


async def test_adding_calling_needs_a_calling_location_unless_one_exists(
    sandbox: Sandbox,
) -> None:
    meet_id, _ = await sandbox.customer("m", packages=["webex_meetings"], calling=False)
    response = await sandbox.client.put(
        f"/wholesale/customers/{meet_id}", json={"packages": ["webex_meetings", "webex_calling"]}
    )
    assert response.status_code == 400
    calling_id, _ = await sandbox.customer("c")
    response = await sandbox.client.put(
        f"/wholesale/customers/{calling_id}", json={"packages": ["webex_calling", "webex_suite"]}
    )
    assert response.status_code == 202


@pytest.mark.parametrize(("mode", "status"), [("ignore", 202), ("reject", 400)])
async def test_put_with_create_only_fields_follows_the_switch(
    sandbox_factory: Any, mode: str, status: int
) -> None:
    box = await sandbox_factory(put_extra_fields=mode)
    customer_id, _ = await box.customer()
    body = {
        "packages": ["webex_calling"],
        "provisioningId": "PID-STANDARD",
        "customerInfo": {"name": "Renamed", "primaryEmail": "x@y.example.com"},
    }
    # the spec's PUT schema has no such fields: the request is checked leniently here
    response = await box.client.put(f"/wholesale/customers/{customer_id}", json=body)
    assert response.status_code == status


async def test_unknown_customer_is_404(sandbox: Sandbox) -> None:
    for method in ("GET", "DELETE"):
        response = await sandbox.client.request(method, "/wholesale/customers/nope")
        assert response.status_code == 404


# precheck -------------------------------------------------------------------------------
async def test_precheck_succeeds_with_info_100(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        "/wholesale/customers/validate",
        json={"address": address(), "customerInfo": {"primaryEmail": "new@z.example.com"}},
    )
    assert response.status_code == 200
    assert response.json() == {
        "message": "success",
        "info": {"infoCode": 100, "description": "Provisioning preCheck validation successful."},
    }
    assert (await sandbox.client.get("/wholesale/customers")).json()["items"] == []


async def test_precheck_info_list_switch(sandbox_factory: Any) -> None:
    box = await sandbox_factory(precheck_info_as_list=True)
    with pytest.raises(ContractViolation, match="info"):
        await box.client.post("/wholesale/customers/validate", json={"address": address()})
    async with box.raw() as raw:
        response = await raw.post("/wholesale/customers/validate", json={"address": address()})
    assert response.json()["info"][0]["infoCode"] == 100


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"customerInfo": {"primaryEmail": "a@b.example.com"}}, 400),
        ({"address": address(), "packages": ["webex_calling"]}, 400),
        ({"address": address(), "provisioningId": "unknown"}, 400),
        ({"address": address("z" * 60)}, 400),
        ({"address": address(), "externalId": "acme"}, 409),
        ({"address": address(), "customerInfo": {"primaryEmail": "admin@acme.example.com"}}, 409),
    ],
)
async def test_precheck_reports_what_provisioning_would_refuse(
    sandbox: Sandbox, body: dict[str, Any], status: int
) -> None:
    await sandbox.customer("acme")
    response = await sandbox.client.post("/wholesale/customers/validate", json=body)
    assert response.status_code == status


async def test_package_license_ids_on_request(sandbox: Sandbox) -> None:
    customer_id, _ = await sandbox.customer()
    plain = (await sandbox.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert all("licenseIds" not in p for p in plain["resourceDetails"]["packages"])
    detailed = await sandbox.client.get(
        f"/wholesale/customers/{customer_id}", params={"includePackageLicenseInfo": "true"}
    )
    licenses = [p["licenseIds"] for p in detailed.json()["resourceDetails"]["packages"]]
    assert len(licenses) == 2
    assert all(len(ids) == 1 for ids in licenses)
    assert licenses[0] != licenses[1]


@pytest.mark.parametrize("status", ["error", "provisioned_with_errors", "pending_rpl_review"])
async def test_seeded_customers_can_be_stuck(sandbox: Sandbox, status: str) -> None:
    await sandbox.admin(
        "POST",
        "seed",
        {
            "customers": [
                {
                    "externalId": "stuck",
                    "packages": ["webex_meetings"],
                    "address": address(),
                    "status": status,
                }
            ]
        },
    )
    doc = (await sandbox.client.get("/wholesale/customers", params={"externalId": "stuck"})).json()[
        "items"
    ][0]
    assert doc["status"] == status
    assert ("orgId" in doc) is (status != "error")
    assert bool(doc["errors"]) is (status != "pending_rpl_review")


async def test_seeded_calling_location_is_the_headquarters_a_later_update_reuses(
    sandbox: Sandbox,
) -> None:
    seeded = await sandbox.admin(
        "POST",
        "seed",
        {
            "customers": [
                {
                    "externalId": "callco",
                    "packages": ["webex_calling"],
                    "address": address(),
                    "status": "provisioned_with_errors",
                    "locations": [{"name": "HQ", "calling": True}, {"name": "Branch"}],
                }
            ]
        },
    )
    ids = seeded.json()["customers"]["callco"]
    body = {
        "packages": ["webex_calling"],
        "address": address(),
        "provisioningParameters": calling_params("HQ"),
    }
    response = await sandbox.client.put(f"/wholesale/customers/{ids['id']}", json=body)
    assert response.status_code == 202
    sandbox.clock.advance(sandbox.config.provision_seconds)
    locations = (await sandbox.client.get("/locations", params={"orgId": ids["orgId"]})).json()
    assert sorted(loc["name"] for loc in locations["items"]) == ["Branch", "HQ"]
