"""Interruption: a real ``reconciler apply`` process is killed (SIGKILL) at 10 different points
of an apply of 30 customers against a served sandbox; each time a second apply converges (then
``plan --detailed-exitcode`` exits 0) and Partner Hub holds no duplicates."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from served import serve_command

pytestmark = pytest.mark.e2e

#: Journal lines (API writes) after which the first apply is killed: early in the customer
#: creates, during provisioning, among the locations, and among the users.
KILL_POINTS = (1, 4, 12, 25, 31, 40, 62, 85, 110, 140)
CUSTOMERS = 30
#: Longer than a re-run takes to start and read (about a second), so a kill among the customer
#: creates leaves jobs running that the re-run must wait for: the path where a re-run used to
#: crash (or, before it waited, leave those customers' locations and users undone).
PROVISION_SECONDS = "1.5"
TEMPLATE = "prov-interrupt-calling"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("hub") / "hub.sqlite"
    with serve_command("--db", str(db), "--provision-seconds", PROVISION_SECONDS) as (origin, _):
        httpx.post(
            f"{origin}/_sandbox/templates", json={"name": "calling", "provisioningId": TEMPLATE}
        ).raise_for_status()
        yield origin


def write_estate(directory: Path, run: int) -> None:
    """30 calling customers, each with a headquarters (made by provisioning), a branch and a
    user there with a managed number of the branch: 150 writes for a whole apply (customer,
    branch, calling enabled at the branch, its number, the user)."""
    (directory / "customers").mkdir(parents=True)
    (directory / "templates.yaml").write_text(
        f"kind: Template\nname: calling\nprovisioningId: {TEMPLATE}\n", encoding="utf-8"
    )
    (directory / "settings.yaml").write_text(
        "kind: Settings\nconcurrency: 8\nmaxRequestsPerSecond: 1000\n", encoding="utf-8"
    )
    for c in range(CUSTOMERS):
        ext = f"int{run:02d}-{c:02d}"
        phone = f"+1312{run:02d}{c:02d}{0:03d}"
        (directory / "customers" / f"{ext}.yaml").write_text(
            f"""kind: Customer
externalId: {ext}
name: Interrupted {run} {c}
adminEmail: admin@{ext}.example.com
template: calling
language: en_US
packages: [webex_calling, webex_meetings]
address: {{line1: {c + 1} Main Street, city: Chicago, state: IL, postalCode: '60601', country: US}}
headquarters: Chicago HQ
locations:
  - {{name: Chicago HQ, timeZone: America/Chicago, preferredLanguage: en_us}}
  - name: Evanston Branch
    timeZone: America/Chicago
    preferredLanguage: en_us
    address: {{line1: 5 Davis St, city: Evanston, state: IL, postalCode: '60201', country: US}}
    numbers: ['{phone}']
users:
  - {{email: ann@{ext}.example.com, firstName: Ann, lastName: Lee, package: webex_calling,
      location: Evanston Branch, phoneNumber: '{phone}', extension: '100'}}
""",
            encoding="utf-8",
        )


def reconciler(origin: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args, "--api-url", f"{origin}/v1"]


ENV = {**os.environ, "WEBEX_TOKEN": "sandbox-full", "NO_COLOR": "1"}
ENV.pop("RECONCILER_SANDBOX", None)


def kill_after(command: list[str], journal: Path, lines: int) -> int:
    """Start ``command``; SIGKILL it once ``journal`` has ``lines`` lines; its exit status."""
    process = subprocess.Popen(
        command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if journal.exists() and journal.read_bytes().count(b"\n") >= lines:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
        return process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def interrupt_then_rerun(origin: str, root: Path, run: int, lines: int) -> str | None:
    """Kill an apply after ``lines`` writes, re-run it; a problem, or None."""
    estate = root / f"estate{run}"
    write_estate(estate, run)
    journal = root / f"journal{run}.jsonl"
    status = kill_after(
        reconciler(origin, "apply", str(estate), "--yes", "--journal", str(journal)),
        journal,
        lines,
    )
    if status != -signal.SIGKILL:
        return f"kill point {lines}: apply ended by itself ({status})"
    second = subprocess.run(
        reconciler(origin, "apply", str(estate), "--yes"),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if second.returncode != 0:
        return f"kill point {lines}: " + second.stdout[-2000:] + second.stderr[-2000:]
    return None


def test_killed_apply_converges_on_rerun_without_duplicates(served: str, tmp_path: Path) -> None:
    # Five estates at a time: most of an apply is process start-up and provisioning waits.
    with ThreadPoolExecutor(5) as pool:
        problems = list(
            pool.map(
                lambda item: interrupt_then_rerun(served, tmp_path, *item),
                enumerate(KILL_POINTS),
            )
        )
    assert [p for p in problems if p] == []

    # Every estate at once: the second applies left nothing to do.
    combined = tmp_path / "all"
    shutil.copytree(tmp_path / "estate0", combined)
    for run in range(1, len(KILL_POINTS)):
        for path in (tmp_path / f"estate{run}" / "customers").iterdir():
            shutil.copy(path, combined / "customers" / path.name)
    check = subprocess.run(
        reconciler(served, "plan", str(combined), "--detailed-exitcode"),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]

    dump = httpx.get(f"{served}/_sandbox/dump", timeout=30).json()
    keys = {
        "customer": [c["externalId"] for c in dump["customers"]],
        "location": [(loc["orgId"], loc["name"]) for loc in dump["locations"]],
        "subscriber": [s["email"].lower() for s in dump["subscribers"]],
        "person": [p["emails"][0].lower() for p in dump["people"]],
    }
    for what, values in keys.items():
        assert len(values) == len(set(values)), f"duplicate {what}"
    assert len(keys["customer"]) == CUSTOMERS * len(KILL_POINTS)
    assert len(keys["location"]) == 2 * CUSTOMERS * len(KILL_POINTS)
    assert len(keys["subscriber"]) == CUSTOMERS * len(KILL_POINTS)
