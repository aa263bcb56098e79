"""A real ``reconciler apply`` killed (SIGKILL) during a calling change, then run again: a move
of a calling user (during its move-users job), a calling-location delete with its user moved
out first (during the disable-calling job) and a managed-number change (right after the
number's add) each converge on the re-run, which then leaves nothing to plan, and the effect
is there exactly once: the re-run finds the killed run's job in the org's job list, waits for
it and starts none (the two runs' journals hold one POST of the job).

The sandbox is served in a thread in Webex mode with jobs that run 3 s, longer than a re-run
takes to start and read, so the re-run finds the killed run's job still running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from served import served
from test_apply_calling import HQ_NUMBERS, LAB_NUMBERS, write

from reconciler.sandbox import SandboxConfig

pytestmark = pytest.mark.e2e

ENV = {**os.environ, "WEBEX_TOKEN": "sandbox-full", "NO_COLOR": "1"}
ENV.pop("RECONCILER_SANDBOX", None)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("hub") / "hub.sqlite"
    config = SandboxConfig(db=str(db), provision_seconds=0.2, job_seconds=3.0)
    with served(config) as url:
        origin = url.removesuffix("/v1")
        httpx.post(
            f"{origin}/_sandbox/templates", json={"name": "std", "provisioningId": "PID-STD"}
        ).raise_for_status()
        yield url


def cli(api: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args, "--api-url", api],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def converged(api: str, estate: Path, journal: Path | None = None) -> None:
    extra = ("--journal", str(journal)) if journal is not None else ()
    run = cli(api, "apply", str(estate), "--yes", *extra)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    check = cli(api, "plan", str(estate), "--detailed-exitcode")
    assert check.returncode == 0, check.stdout[-2000:]


def kill_during(api: str, estate: Path, journal: Path, marker: str) -> None:
    """Start an apply; SIGKILL it once its journal records a write whose line has ``marker``."""
    command = [sys.executable, "-m", "reconciler", "apply", str(estate), "--yes"]
    command += ["--journal", str(journal), "--api-url", api]
    process = subprocess.Popen(
        command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if journal.exists() and marker in journal.read_text(encoding="utf-8"):
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
        assert process.wait(30) == -signal.SIGKILL, "the apply ended before the kill"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def posts(journals: list[Path], path: str) -> int:
    """How many POSTs to ``path`` (its query aside) the journals record, answered or not."""
    count = 0
    for journal in journals:
        for line in journal.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            count += entry["method"] == "POST" and entry["path"].split("?")[0].endswith(path)
    return count


def reads(api: str) -> dict[str, int]:
    """Requests by route since the last :func:`reset`."""
    stats = httpx.get(f"{api.removesuffix('/v1')}/_sandbox/stats", timeout=30).json()
    return dict(stats["byRoute"])


def reset(api: str) -> None:
    httpx.post(f"{api.removesuffix('/v1')}/_sandbox/stats/reset", timeout=30).raise_for_status()


MOVE_JOBS = "GET /v1/telephony/config/jobs/person/moveLocation"
DISABLE_JOBS = "GET /v1/telephony/config/jobs/locations/deleteCallingLocation"


def dump(api: str) -> dict[str, Any]:
    data = httpx.get(f"{api.removesuffix('/v1')}/_sandbox/dump", timeout=30).json()
    assert isinstance(data, dict)
    return data


def org_of(data: dict[str, Any], ext: str) -> str:
    (customer,) = [c for c in data["customers"] if c["externalId"] == ext]
    return str(customer["orgId"])


#: Each estate's own numbers (an inventory number belongs to one org): ``+1312555…`` becomes
#: ``+1312PPP…`` with the estate's prefix.
PREFIX = {"killmove": "+1312601", "killdelete": "+1312602", "killnumber": "+1312603"}


def own(ext: str, number: str) -> str:
    return number.replace("+1312555", PREFIX[ext])


def renamed(estate: Path, ext: str) -> None:
    path = estate / "customers" / "acme.yaml"
    text = path.read_text(encoding="utf-8").replace("externalId: acme", f"externalId: {ext}")
    text = text.replace("acme.example", f"{ext}.example").replace("+1312555", PREFIX[ext])
    path.write_text(text, encoding="utf-8")


def estate(root: Path, ext: str, **spec: Any) -> Path:
    directory = root / ext
    write(directory, **spec)
    renamed(directory, ext)
    return directory


def test_a_move_killed_during_its_job_converges(api: str, tmp_path: Path) -> None:
    ext = "killmove"
    base = {"hq": HQ_NUMBERS, "lab": LAB_NUMBERS}
    directory = estate(tmp_path, ext, **base, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[0]}'")
    converged(api, directory)
    estate(tmp_path, ext, **base, user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'")
    journals = [tmp_path / "move.jsonl", tmp_path / "move-again.jsonl"]
    kill_during(api, directory, journals[0], "moveLocation")
    reset(api)
    converged(api, directory, journals[1])
    # one list of the org's move jobs, and none of disable jobs (the plan has none)
    assert (reads(api).get(MOVE_JOBS), reads(api).get(DISABLE_JOBS)) == (1, None)
    data = dump(api)
    org = org_of(data, ext)
    (lab,) = [
        loc["id"] for loc in data["locations"] if loc["orgId"] == org and loc["name"] == "Lab"
    ]
    (ann,) = [
        p for p in data["people"] if p["orgId"] == org and p["emails"] == [f"ann@{ext}.example"]
    ]
    assert ann["locationId"] == lab
    moves = [j for j in data["jobs"] if j["targetCustomerId"] == org and j["name"] == "moveusers"]
    # the re-run found the killed run's job running in the org's move-jobs list and waited
    # for it: one job, completed, never started twice
    assert [j["latestExecutionExitCode"] for j in moves] == ["COMPLETED"]
    assert posts(journals, "/jobs/person/moveLocation") == 1


def test_a_calling_location_delete_killed_during_the_disable_job_converges(
    api: str, tmp_path: Path
) -> None:
    ext = "killdelete"
    directory = estate(
        tmp_path,
        ext,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'",
    )
    converged(api, directory)
    estate(
        tmp_path, ext, hq=HQ_NUMBERS, lab=None, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[1]}'"
    )
    journals = [tmp_path / "delete.jsonl", tmp_path / "delete-again.jsonl"]
    kill_during(api, directory, journals[0], "deleteCallingLocation")
    reset(api)
    converged(api, directory, journals[1])
    assert (reads(api).get(MOVE_JOBS), reads(api).get(DISABLE_JOBS)) == (None, 1)
    data = dump(api)
    org = org_of(data, ext)
    assert [loc["name"] for loc in data["locations"] if loc["orgId"] == org] == ["HQ"]
    disables = [
        j
        for j in data["jobs"]
        if j["targetCustomerId"] == org and j["name"] == "deletecallinglocation"
    ]
    # the re-run waited for the killed run's job (its locationName is the location's)
    assert [j["latestExecutionExitCode"] for j in disables] == ["COMPLETED"]
    assert posts(journals, "/jobs/locations/deleteCallingLocation") == 1


def test_a_number_change_killed_after_the_add_converges(api: str, tmp_path: Path) -> None:
    ext = "killnumber"
    directory = estate(
        tmp_path,
        ext,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[0]}'",
    )
    converged(api, directory)
    new = "+13125550109"
    estate(
        tmp_path,
        ext,
        hq=[HQ_NUMBERS[1], new],
        lab=LAB_NUMBERS,
        user=f"location: HQ, phoneNumber: '{new}'",
    )
    kill_during(api, directory, tmp_path / "number.jsonl", "/numbers")
    reset(api)
    converged(api, directory)
    # no job in the plan: no job list is read
    assert not {MOVE_JOBS, DISABLE_JOBS} & set(reads(api))
    data = dump(api)
    org = org_of(data, ext)
    held = sorted(n["id"] for n in data["numbers"] if n["orgId"] == org)
    assert held == sorted(own(ext, n) for n in [HQ_NUMBERS[1], new, *LAB_NUMBERS])
    (ann,) = [
        p for p in data["people"] if p["orgId"] == org and p["emails"] == [f"ann@{ext}.example"]
    ]
    assert [n["value"] for n in ann["phoneNumbers"]] == [own(ext, new)]
