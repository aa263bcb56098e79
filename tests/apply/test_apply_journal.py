"""The journal: one JSON line per API write, labelled with the change, never a token."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.api import RetryPolicy
from reconciler.errors import OutcomeUnknown
from reconciler.journal import Journal, change_context
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.connect import SandboxTarget, open_client


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/drop"):
        raise httpx.RemoteProtocolError("server closed the connection", request=request)
    if request.method == "POST" and request.url.path == "/v1/wholesale/customers":
        return httpx.Response(202, json={"url": "x"}, headers={"trackingid": "TRK_1"})
    if request.method == "PUT":
        return httpx.Response(
            409,
            json={
                "message": "Conflict",
                "errors": [{"description": "name taken"}],
                "trackingId": "TRK_2",
            },
            headers={"trackingid": "TRK_2"},
        )
    return httpx.Response(200, json={"items": []})


def fixed_now() -> datetime:
    return datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


async def exercise(journal: Journal) -> None:
    client = httpx.AsyncClient(
        transport=journal.transport(httpx.MockTransport(handler)),
        base_url="https://webexapis.com",
        headers={"Authorization": "Bearer SECRET-TOKEN"},
    )
    async with client:
        await client.get("/v1/wholesale/customers")
        await client.post("/v1/wholesale/customers/validate", json={})
        with change_context("customer/acme", "create"):
            r = await client.post(
                "/v1/wholesale/customers", json={"x": 1}, headers={"TrackingID": "MINE"}
            )
            assert r.status_code == 202
        with change_context("location/acme/HQ", "update"):
            r = await client.put("/v1/locations/L1?orgId=O1", json={"name": "HQ"})
            assert r.json()["message"] == "Conflict"  # body still readable by the caller
        with change_context("user/acme/a@b.c", "delete"), pytest.raises(httpx.TransportError):
            await client.delete("/v1/wholesale/subscribers/drop")
        await client.delete("/v1/wholesale/subscribers/S1")


def test_journal_writes_one_line_per_write_with_change_labels(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, now=fixed_now)
    asyncio.run(exercise(journal))
    journal.close()
    text = path.read_text()
    assert "SECRET" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert journal.lines == 4
    assert lines[0] == {
        "time": "2026-01-02T03:04:05.678Z",
        "address": "customer/acme",
        "action": "create",
        "method": "POST",
        "path": "/v1/wholesale/customers",
        "status": 202,
        "trackingId": "TRK_1",
        "outcome": "ok",
    }
    assert lines[1]["path"] == "/v1/locations/L1?orgId=O1"
    assert lines[1]["status"] == 409
    assert lines[1]["outcome"] == "error: Conflict (name taken)"
    assert lines[2]["status"] is None
    assert lines[2]["outcome"] == "no response: RemoteProtocolError"
    assert lines[2]["address"] == "user/acme/a@b.c"
    assert lines[3]["address"] is None
    assert lines[3]["method"] == "DELETE"


def test_journal_appends_to_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"earlier": true}\n')
    journal = Journal(path, now=fixed_now)
    with change_context("customer/x", "delete"):
        journal.record(method="DELETE", path="/v1/x", status=202, tracking_id=None, outcome="ok")
    journal.close()
    assert len(path.read_text().splitlines()) == 2


def test_journal_on_a_stream_is_flushed_per_line() -> None:
    stream = io.StringIO()
    journal = Journal(stream, now=fixed_now)
    journal.record(method="POST", path="/v1/y", status=200, tracking_id="T", outcome="ok")
    assert json.loads(stream.getvalue())["trackingId"] == "T"


MEETINGS_CUSTOMER = {
    "provisioningId": "PID-JOURNAL",
    "packages": ["webex_meetings"],
    "externalId": "journal-co",
    "address": {"addressLine1": "1 Main St", "city": "Austin", "country": "US"},
    "customerInfo": {"name": "Journal Co", "primaryEmail": "admin@journal-co.example.com"},
}


async def write_through_open_client(journal: Journal, *, drop_rate: float) -> None:
    config = SandboxConfig(db=":memory:", drop_rate=drop_rate, provision_seconds=0.0)
    async with open_client(
        SandboxTarget(db=":memory:", config=config),
        read_only=False,
        templates={"meetings": "PID-JOURNAL"},  # a sandbox admin POST: not a write
        retry=RetryPolicy(attempts=1),
        wrap_transport=journal.transport,
    ) as client:
        assert await client.list_customers() == []  # a read: not journaled
        with change_context("customer/journal-co", "create"):
            await client.create_customer(MEETINGS_CUSTOMER)


def test_journal_sees_writes_through_the_open_client_seam() -> None:
    stream = io.StringIO()
    journal = Journal(stream, now=fixed_now)
    asyncio.run(write_through_open_client(journal, drop_rate=0.0))
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(x["method"], x["path"], x["status"], x["outcome"]) for x in lines] == [
        ("POST", "/v1/wholesale/customers", 202, "ok")
    ]
    assert lines[0]["address"] == "customer/journal-co"
    assert lines[0]["trackingId"]


def test_journal_records_a_dropped_connection_through_the_seam() -> None:
    stream = io.StringIO()
    journal = Journal(stream, now=fixed_now)
    with pytest.raises(OutcomeUnknown):
        asyncio.run(write_through_open_client(journal, drop_rate=1.0))
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    assert lines[0]["status"] is None
    assert lines[0]["outcome"].startswith("no response: ")
    assert lines[0]["address"] == "customer/journal-co"
