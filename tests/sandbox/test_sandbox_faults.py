"""Tokens and scopes, tracking IDs, stats, persistence, and every fault option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_helpers import BASE, READ, Sandbox, customer_body, location_body, subscriber_body

from reconciler.sandbox import ConnectionDropped

pytestmark = pytest.mark.anyio


# auth -----------------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic sandbox-full", "Bearer"])
async def test_missing_or_invalid_token_answers_401(sandbox: Sandbox, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    async with sandbox.raw(headers) as client:
        if header is None:
            client.headers.pop("Authorization")
        response = await client.get("/wholesale/customers")
    assert response.status_code == 401
    assert response.json()["errors"][0]["description"]


WRITES = [
    ("POST", "/wholesale/customers"),
    ("PUT", "/wholesale/customers/x"),
    ("DELETE", "/wholesale/customers/x"),
    ("POST", "/wholesale/subscribers"),
    ("PUT", "/wholesale/subscribers/x"),
    ("DELETE", "/wholesale/subscribers/x"),
    ("POST", "/locations"),
    ("PUT", "/locations/x"),
    ("DELETE", "/locations/x"),
    ("PUT", "/people/x"),
    ("DELETE", "/people/x"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_read_token_cannot_write(sandbox: Sandbox, method: str, path: str) -> None:
    response = await sandbox.client.request(method, path, headers=READ, json={})
    assert response.status_code == 403
    assert "scope" in response.json()["message"]


async def test_read_token_reads_and_prechecks(sandbox: Sandbox) -> None:
    customer_id, org = await sandbox.customer()
    for path, params in [
        ("/wholesale/customers", {}),
        (f"/wholesale/customers/{customer_id}", {}),
        ("/wholesale/subscribers", {}),
        ("/locations", {"orgId": org}),
        ("/people", {"orgId": org}),
        ("/roles", {}),
    ]:
        response = await sandbox.client.get(path, params=params, headers=READ)
        assert response.status_code == 200, path
    precheck = await sandbox.client.post(
        "/wholesale/customers/validate", headers=READ, json={"address": customer_body()["address"]}
    )
    assert precheck.status_code == 200


async def test_tokens_are_configurable(sandbox_factory: Any) -> None:
    box = await sandbox_factory(full_token="f-123", read_token="r-456")
    assert (await box.client.get("/roles")).status_code == 401
    assert (
        await box.client.get("/roles", headers={"Authorization": "Bearer r-456"})
    ).status_code == 200


async def test_tracking_id_is_echoed_or_minted(sandbox: Sandbox) -> None:
    sent = await sandbox.client.get(
        "/wholesale/customers/nope", headers={"TrackingID": "SIMPLE_abc"}
    )
    assert sent.headers["trackingid"] == "SIMPLE_abc"
    assert sent.json()["trackingId"] == "SIMPLE_abc"
    minted = await sandbox.client.get("/roles")
    assert minted.headers["trackingid"].startswith("SANDBOX_")


async def test_unknown_path_and_method_use_the_error_body(sandbox: Sandbox) -> None:
    missing = await sandbox.client.get("/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["trackingId"]
    wrong = await sandbox.client.patch("/roles")
    assert wrong.status_code == 405
    assert wrong.json()["errors"]


async def test_malformed_json_answers_400(sandbox: Sandbox) -> None:
    async with sandbox.raw() as client:
        for content in (b"{not json", b"[1, 2]", b""):
            response = await client.post(
                "/wholesale/customers",
                content=content,
                headers={"Content-Type": "application/json"},
            )
            assert response.status_code == 400


# stats ----------------------------------------------------------------------------------
async def test_stats_count_by_route_template_and_status(sandbox: Sandbox) -> None:
    await sandbox.admin("POST", "stats/reset")
    _customer_id, _org = await sandbox.customer()
    await sandbox.client.get("/wholesale/customers/nope")
    await sandbox.admin("GET", "dump")  # admin calls are not counted
    stats = await sandbox.stats()
    assert stats == {
        "total": 3,
        "byRoute": {
            "GET /v1/wholesale/customers/{customerId}": 2,
            "POST /v1/wholesale/customers": 1,
        },
        "byStatus": {"200": 1, "202": 1, "404": 1},
    }
    reset = (await sandbox.admin("POST", "stats/reset")).json()
    assert reset == {"total": 0, "byRoute": {}, "byStatus": {}}


# templates, seed, persistence -----------------------------------------------------------
async def test_templates_are_idempotent(sandbox: Sandbox) -> None:
    again = await sandbox.admin(
        "POST", "templates", {"name": "standard", "provisioningId": "PID-STANDARD"}
    )
    assert again.status_code == 200
    rebound = await sandbox.admin(
        "POST", "templates", {"name": "standard", "provisioningId": "PID-2"}
    )
    assert rebound.status_code == 201
    listed = (await sandbox.admin("GET", "templates")).json()
    assert listed == {"items": [{"name": "standard", "provisioningId": "PID-2"}]}
    bad = await sandbox.admin("POST", "templates", {"name": "x"})
    assert bad.status_code == 400


async def test_malformed_seed_is_refused_whole(sandbox: Sandbox) -> None:
    response = await sandbox.admin("POST", "seed", {"customers": [{"externalId": "a"}]})
    assert response.status_code == 400
    assert (await sandbox.admin("GET", "dump")).json()["customers"] == []


async def test_state_persists_in_the_sqlite_file(sandbox_factory: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "hub.sqlite")
    first = await sandbox_factory(db=db)
    customer_id, _ = await first.customer()
    first.app.state.store.close()
    second = await sandbox_factory(db=db)
    doc = (await second.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert doc["status"] == "provisioned"
    another = await second.provision("other")
    assert another != customer_id  # the ID counter persisted: no collision


# faults ---------------------------------------------------------------------------------
async def test_latency_is_added_to_every_api_request(sandbox_factory: Any) -> None:
    box = await sandbox_factory(latency_ms=250)
    await box.client.get("/roles")
    await box.admin("GET", "stats")
    assert box.slept == [0.25]


async def test_rate_limit_answers_429_with_retry_after(sandbox_factory: Any) -> None:
    box = await sandbox_factory(rate_limit=2)
    statuses = [(await box.client.get("/roles")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = await box.client.get("/roles")
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["message"]
    box.clock.advance(0.5)
    assert (await box.client.get("/roles")).status_code == 200
    assert (await box.client.get("/roles")).status_code == 429
    box.clock.advance(1)
    assert (await box.client.get("/roles")).status_code == 200
    stats = await box.stats()
    assert stats["byStatus"]["429"] == 3
    # answered before the route ran, yet counted under the route it was for
    assert stats["byRoute"] == {"GET /v1/roles": 7}


async def test_slow_rate_limit_asks_for_a_longer_wait(sandbox_factory: Any) -> None:
    box = await sandbox_factory(rate_limit=0.25)
    assert (await box.client.get("/roles")).status_code == 200
    limited = await box.client.get("/roles")
    assert limited.headers["retry-after"] == "4"


async def test_fail_rate_answers_5xx_without_performing_and_is_seeded(
    sandbox_factory: Any,
) -> None:
    async def run(seed: int) -> list[int]:
        box = await sandbox_factory(fail_rate=0.5, seed=seed)
        statuses = []
        for i in range(20):
            response = await box.client.post("/wholesale/customers", json=customer_body(f"c{i}"))
            statuses.append(response.status_code)
        created = len((await box.admin("GET", "dump")).json()["customers"])
        assert created == statuses.count(202)
        return statuses

    first = await run(5)
    assert first == await run(5)
    assert {s for s in first if s != 202} <= {500, 502, 503}
    assert 0 < first.count(202) < 20


async def test_drop_rate_performs_the_write_then_drops(sandbox_factory: Any) -> None:
    box = await sandbox_factory(drop_rate=1.0, provision_seconds=0)
    with pytest.raises(httpx.TransportError) as caught:
        await box.client.post("/wholesale/customers", json=customer_body("acme"))
    assert isinstance(caught.value, ConnectionDropped)
    listed = (await box.client.get("/wholesale/customers", params={"externalId": "acme"})).json()
    assert [c["status"] for c in listed["items"]] == ["provisioned"]  # reads are never dropped
    org = listed["items"][0]["orgId"]
    for method, path, kwargs in [
        ("POST", "/locations", {"params": {"orgId": org}, "json": location_body()}),
        (
            "POST",
            "/wholesale/subscribers",
            {"json": subscriber_body(listed["items"][0]["id"], "s@acme.example.com")},
        ),
    ]:
        with pytest.raises(httpx.TransportError):
            await box.client.request(method, path, **kwargs)
    dump = (await box.admin("GET", "dump")).json()
    assert len(dump["locations"]) == 2
    assert len(dump["subscribers"]) == 1
    # a refused write is answered, not dropped
    refused = await box.client.post("/wholesale/customers", json=customer_body("acme"))
    assert refused.status_code == 409
    assert (await box.stats())["byStatus"]["201"] == 1


async def test_drop_rate_share_is_seeded(sandbox_factory: Any) -> None:
    async def run(seed: int) -> list[bool]:
        box = await sandbox_factory(drop_rate=0.5, seed=seed)
        dropped = []
        for i in range(16):
            try:
                await box.client.post("/wholesale/customers", json=customer_body(f"c{i}"))
                dropped.append(False)
            except httpx.TransportError:
                dropped.append(True)
        assert len((await box.admin("GET", "dump")).json()["customers"]) == 16
        return dropped

    first = await run(1)
    assert first == await run(1)
    assert any(first)
    assert not all(first)


async def test_admin_api_is_never_faulted(sandbox_factory: Any) -> None:
    box = await sandbox_factory(fail_rate=1.0, rate_limit=1, drop_rate=1.0)
    for _ in range(3):
        response = await box.client.get(f"{BASE}/_sandbox/templates")
        assert response.status_code == 200
    assert (await box.client.get("/roles")).status_code >= 500
