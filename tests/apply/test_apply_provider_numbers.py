"""Numbers a location's PSTN provider supplies: Southern Cross Health (the example estate)
declares no ``numbers:``; its numbers arrive from an integrated provider once calling is
enabled at each location. The plan names the numbers it will wait for in every rendering;
apply waits for them (bounded, on the fake clock) before sending the users, fails those users
unsent with one message when they do not arrive, and a re-run converges once they are there."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_client import sandbox_admin
from apply_helpers import FakeClock, fake_runtime
from click.testing import CliRunner

from reconciler.cli import Runtime, cli
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.apply import apply_directory
from reconciler.workflow.connect import SandboxTarget, open_client

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = str(ROOT / "sandbox-providers.yaml")
ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
}
SCH = "user/SCH-80365/"
MELBOURNE = ["+61370100012", "+61370100014", "+61370100016", "+61370100018", "+61370100020"]


def run(rt: Runtime, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV, obj=rt)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def estate(tmp_path: Path, wait: int | None = None) -> str:
    """A copy of the example estate, with ``providerNumbersWaitSeconds`` when given."""
    directory = tmp_path / "desired"
    shutil.copytree(ROOT / "desired-state", directory)
    if wait is not None:
        settings = directory / "settings.yaml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(f"{text}providerNumbersWaitSeconds: {wait}\n", encoding="utf-8")
    return str(directory)


def subscribers(db: str, clock: FakeClock) -> list[str]:
    async def go() -> list[str]:
        config = SandboxConfig(db=db, clock=clock, sleep=clock.sleep)
        async with open_client(SandboxTarget(db=db, config=config), read_only=True) as client:
            data: Any = await sandbox_admin(client, "GET", "/dump")
        return sorted(str(s.get("email")) for s in data["subscribers"])

    return asyncio.run(go())


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_the_plan_names_the_numbers_it_waits_for(tmp_path: Path, fmt: str) -> None:
    code, out = run(
        Runtime(),
        "plan",
        str(ROOT / "desired-state"),
        f"--sandbox={tmp_path / 'hub.sqlite'}",
        "--format",
        fmt,
    )
    assert code == 0
    text = re.sub(r"\\(.)", r"\1", out) if fmt == "markdown" else out  # Markdown escapes
    if fmt == "json":
        warnings = json.loads(out)["warnings"]
        text = "\n".join(f"{w['address']}: {w['message']}" for w in warnings)
    assert "calling/SCH-80365/Melbourne Clinic" in text
    assert "location/SCH-80365/Sydney Head Office" in text  # made a calling one by provisioning
    for number in [*MELBOURNE, "+61255500011", "+61255500021"]:
        assert number in text
    assert "come from its PSTN provider" in text
    assert "up to 600 s (Settings providerNumbersWaitSeconds)" in text


def test_apply_waits_for_the_provider_and_converges_in_one_run(tmp_path: Path) -> None:
    clock = FakeClock()
    rt = fake_runtime(clock, provider_sync_seconds=90.0)
    db, desired = f"--sandbox={tmp_path / 'hub.sqlite'}", str(ROOT / "desired-state")
    code, out = run(rt, "apply", desired, db, "--sandbox-providers", PROVIDERS, "--yes")
    assert code == 0, out
    assert "arrived from the PSTN provider after" in out
    assert run(rt, "plan", desired, db, "--detailed-exitcode")[0] == 0


def test_numbers_that_do_not_arrive_fail_their_users_unsent(tmp_path: Path) -> None:
    """Without a provider (no --sandbox-providers) the numbers never come: each SCH user
    fails with the wait's message, none is sent (no subscriber, no 27966 refusal), and every
    other change is done."""
    clock = FakeClock()
    rt = fake_runtime(clock)
    hub = tmp_path / "hub.sqlite"
    code, out = run(rt, "apply", str(ROOT / "desired-state"), f"--sandbox={hub}", "--yes")
    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith(f"  create {SCH}")]
    assert len(failed) == 12
    assert all("is not in the number inventory of location" in line for line in failed)
    assert all("PSTN provider supplies its numbers" in line for line in failed)
    assert all("the user was not sent" in line for line in failed)
    assert "27966" not in out
    assert "12 change(s) failed and 0 were skipped" in out
    assert not [e for e in subscribers(str(hub), clock) if "southerncrosshealth" in e]
    # the users of both locations waited together: one deadline, not twelve
    assert clock.slept < 2 * 600


def test_a_rerun_converges_once_the_provider_has_delivered(tmp_path: Path) -> None:
    """A provider slower than ``providerNumbersWaitSeconds``: the first apply fails the
    users unsent; once the numbers are there the next apply converges."""
    clock = FakeClock()
    rt = fake_runtime(clock, provider_sync_seconds=300.0)
    desired, db = estate(tmp_path, wait=60), f"--sandbox={tmp_path / 'hub.sqlite'}"
    code, out = run(rt, "apply", desired, db, "--sandbox-providers", PROVIDERS, "--yes")
    assert code == 1
    assert "(deadline 60 s)" in out
    assert "12 change(s) failed" in out
    clock.now += 300.0
    code, out = run(rt, "apply", desired, db, "--sandbox-providers", PROVIDERS, "--yes")
    assert code == 0, out
    assert run(rt, "plan", desired, db, "--detailed-exitcode")[0] == 0


def test_a_bad_wait_setting_is_one_message(tmp_path: Path) -> None:
    code, out = run(Runtime(), "validate", estate(tmp_path, wait=-5))
    assert code != 0
    assert "providerNumbersWaitSeconds" in out


def test_numbers_added_where_this_run_enabled_an_integrated_location_fail_unsent(
    tmp_path: Path,
) -> None:
    """A new customer on an integrated provider declaring numbers: its headquarters is no
    calling location at plan time (no connection to read), so apply reads the connection
    after provisioning enabled it and fails the number adds unsent; the users taking those
    numbers are skipped."""
    from test_apply_calling import HQ_NUMBERS, Hub, write

    hub = Hub(tmp_path, customer_pstn={"acme": "INTEGRATED_CCP"}, latency_ms=20)
    directory = write(
        tmp_path / "desired",
        hq=HQ_NUMBERS,
        lab=None,
        user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[0]}'",
    )
    seen: list[str] = []

    class Counting(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(f"{request.method} {request.url.path}")
            return await self.inner.handle_async_request(request)

    def connect(target: Any, **options: Any) -> Any:
        wrap = options.get("wrap_transport")
        counted = (lambda t: wrap(Counting(t))) if wrap else Counting
        return open_client(target, **{**options, "wrap_transport": counted})

    seams = replace(hub.seams(), connect=connect)
    run = asyncio.run(apply_directory(directory, hub.target(), seams=seams))
    assert run.result is not None
    failed = {r.address: r.message for r in run.result.failed}
    assert set(failed) == {f"number/acme/HQ/{n}" for n in HQ_NUMBERS}
    # the location's two number adds ran together and shared one read of its connection
    assert sum("/telephony/pstn/locations/" in r for r in seen) == 1
    for message in failed.values():
        assert "come from its PSTN provider (INTEGRATED_CCP)" in message
        assert "it was not sent" in message
        assert "HTTP 400" not in message
    assert "user/acme/ann@acme.example" in {r.address for r in run.result.skipped}
