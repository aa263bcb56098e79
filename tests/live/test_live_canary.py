"""End to end through the sandbox under faults: the token never reaches output, logs or errors."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from admin_client import sandbox_admin
from live_estate import estate

from reconciler.api import Limiter, RetryPolicy
from reconciler.errors import ApiError
from reconciler.live import read_live
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.connect import SandboxTarget, open_client

CANARY = "CANARY-7f3c1e-token-never-printed"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_live_canary_token_survives_faults_unseen(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeTime()
    config = SandboxConfig(
        db=":memory:",
        full_token=CANARY,
        read_token=CANARY + "-read",
        fail_rate=0.2,
        drop_rate=0.3,
        rate_limit=20,
        provision_seconds=0,
        seed=7,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    limiter = Limiter(rate=None, concurrency=4, clock=fake.clock, sleep=fake.sleep)
    retry = RetryPolicy(attempts=10, rate_limit_attempts=20)
    errors: list[ApiError] = []

    async def go() -> int:
        async with open_client(
            SandboxTarget(db=":memory:", config=config),
            read_only=False,
            templates={"std": "PROV-1"},
            limiter=limiter,
            retry=retry,
        ) as client:
            await sandbox_admin(client, "POST", "/seed", estate(12, 1, 3))
            state = await read_live(client, concurrency=limiter.concurrency)
            for n in range(12):
                body: dict[str, Any] = {
                    "provisioningId": "PROV-1",
                    "packages": ["webex_meetings"],
                    "externalId": f"new-{n}",
                    "address": {"addressLine1": "1 Way", "city": "Berlin", "country": "DE"},
                    "customerInfo": {"name": f"New {n}", "primaryEmail": f"a@new{n}.example"},
                }
                try:
                    await client.create_customer(body)
                except ApiError as exc:
                    errors.append(exc)
            print(repr(client), repr(client.session), repr(client.session.tokens))
            return len(state.users)

    assert asyncio.run(go()) == 36
    assert errors, "the faults should have produced some errors to scan"
    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [r.getMessage() for r in caplog.records]
    texts += [str(r.args) for r in caplog.records]
    texts += list(capsys.readouterr())
    assert any("retrying" in t or "waiting" in t for t in texts)
    for text in texts:
        assert CANARY not in text
