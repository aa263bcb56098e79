"""A client that goes away before its request body arrives (a killed process) leaves nothing
behind: no write, no error logged as a server failure."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sandbox_helpers import Sandbox, customer_body

pytestmark = pytest.mark.anyio


async def test_disconnect_before_the_body_writes_nothing_and_logs_no_failure(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    await sandbox.template()
    sent: list[dict[str, Any]] = []
    body = json.dumps(customer_body("gone")).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/wholesale/customers",
        "raw_path": b"/v1/wholesale/customers",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"sandbox"),
            (b"authorization", b"Bearer sandbox-full"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        await sandbox.app(scope, receive, send)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    listed = await sandbox.client.get("/wholesale/customers", params={"externalId": "gone"})
    assert listed.json()["items"] == []
