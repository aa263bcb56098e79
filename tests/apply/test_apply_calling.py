"""Webex Calling changes converge through ``apply`` against the sandbox in Webex mode (plain
locations are no calling locations, a calling user moves only with the job): a move of a
calling user, a calling-location delete with its user moved out in the same plan, a managed
number change, and a move job that fails is reported on its change. The sandbox runs on a
fake clock, so the jobs' polling costs no real time."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

from admin_client import sandbox_admin
from apply_helpers import FakeClock, fast_limits

from reconciler.journal import Journal
from reconciler.operations import PollPolicy
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.apply import ApplyRun, apply_directory
from reconciler.workflow.connect import SandboxTarget, open_client
from reconciler.workflow.plan import make_plan
from reconciler.workflow.seams import Seams

HQ_NUMBERS = ["+13125550100", "+13125550101"]
LAB_NUMBERS = ["+13125550200"]


def write(directory: Path, *, hq: list[str], lab: list[str] | None, user: str) -> Path:
    """One calling customer: HQ (managed numbers ``hq``), a Lab with numbers ``lab`` (or
    ``state: absent`` when None), and ann with ``user``'s location and number."""
    (directory / "customers").mkdir(parents=True, exist_ok=True)
    (directory / "templates.yaml").write_text(
        "kind: Template\nname: std\nprovisioningId: PID-STD\n", encoding="utf-8"
    )
    lab_text = (
        "  - {name: Lab, state: absent}\n"
        if lab is None
        else "  - name: Lab\n    timeZone: America/Chicago\n    preferredLanguage: en_us\n"
        "    address: {line1: 3 Lab Way, city: Chicago, state: IL, postalCode: '60601', "
        f"country: US}}\n    numbers: {lab!r}\n"
    )
    (directory / "customers" / "acme.yaml").write_text(
        f"""kind: Customer
externalId: acme
name: Acme
adminEmail: admin@acme.example
template: std
language: en_us
packages: [webex_calling]
address: {{line1: 1 Main St, city: Chicago, state: IL, postalCode: '60601', country: US}}
headquarters: HQ
locations:
  - name: HQ
    timeZone: America/Chicago
    preferredLanguage: en_us
    numbers: {hq!r}
{lab_text}users:
  - {{email: ann@acme.example, firstName: Ann, lastName: Lee, package: webex_calling, {user}}}
""",
        encoding="utf-8",
    )
    return directory


class Hub:
    """A sandbox file in Webex mode on a fake clock, and applies against it."""

    def __init__(self, tmp: Path, **config: Any) -> None:
        self.clock = FakeClock()
        self.db = tmp / "hub.sqlite"
        self.config = SandboxConfig(
            db=str(self.db), clock=self.clock, sleep=self.clock.sleep, **config
        )

    def target(self) -> SandboxTarget:
        return SandboxTarget(db=str(self.db), config=self.config)

    def seams(self) -> Seams:
        limiter, retry = fast_limits(self.clock)
        return Seams(
            clock=self.clock,
            sleep=self.clock.sleep,
            poll=PollPolicy(initial=5.0, deadline=600.0),
            limiter=lambda: limiter,
            retry=retry,
        )

    def apply(self, directory: Path) -> ApplyRun:
        return asyncio.run(apply_directory(directory, self.target(), seams=self.seams()))

    def plan_is_empty(self, directory: Path) -> bool:
        planned = asyncio.run(make_plan(directory, self.target(), seams=self.seams()))
        return planned.plan.is_empty

    def dump(self) -> dict[str, Any]:
        async def go() -> dict[str, Any]:
            async with open_client(self.target(), read_only=True) as client:
                data = await sandbox_admin(client, "GET", "/dump")
                assert isinstance(data, dict)
                return data

        return asyncio.run(go())


def converge(hub: Hub, directory: Path) -> ApplyRun:
    run = hub.apply(directory)
    assert run.result is not None
    assert run.result.ok, [(r.address, r.message) for r in run.result.results if r.status != "done"]
    assert hub.plan_is_empty(directory)
    return run


def person(dump: dict[str, Any], email: str) -> dict[str, Any]:
    found = [p for p in dump["people"] if p["emails"] == [email]]
    assert len(found) == 1
    return found[0]


def location_id(dump: dict[str, Any], name: str) -> str:
    (found,) = [loc["id"] for loc in dump["locations"] if loc["name"] == name]
    return str(found)


def results(run: ApplyRun) -> dict[str, str]:
    assert run.result is not None
    return {r.address: r.message for r in run.result.results}


def test_a_calling_user_moves_to_another_location_with_the_move_job(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    estate = tmp_path / "estate"
    write(
        estate, hq=HQ_NUMBERS, lab=LAB_NUMBERS, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[0]}'"
    )
    converge(hub, estate)
    before = hub.dump()
    assert person(before, "ann@acme.example")["locationId"] == location_id(before, "HQ")

    write(
        estate,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'",
    )
    run = converge(hub, estate)
    assert "moved (move-users job)" in results(run)["user/acme/ann@acme.example"]
    after = hub.dump()
    ann = person(after, "ann@acme.example")
    assert ann["locationId"] == location_id(after, "Lab")
    assert [n["value"] for n in ann["phoneNumbers"]] == [LAB_NUMBERS[0]]
    assert [j["name"] for j in after["jobs"]] == ["moveusers"]


def test_a_calling_location_delete_moves_its_user_out_then_disables_then_deletes(
    tmp_path: Path,
) -> None:
    hub = Hub(tmp_path)
    estate = tmp_path / "estate"
    write(
        estate,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'",
    )
    converge(hub, estate)
    write(estate, hq=HQ_NUMBERS, lab=None, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[1]}'")
    run = converge(hub, estate)
    messages = results(run)
    assert "moved (move-users job)" in messages["user/acme/ann@acme.example"]
    assert messages["calling/acme/Lab"] == "calling disabled"
    assert messages["location/acme/Lab"] == "deleted"
    after = hub.dump()
    assert [loc["name"] for loc in after["locations"]] == ["HQ"]
    assert person(after, "ann@acme.example")["locationId"] == location_id(after, "HQ")
    assert sorted(j["name"] for j in after["jobs"]) == ["deletecallinglocation", "moveusers"]
    assert LAB_NUMBERS[0] not in {n["id"] for n in after["numbers"]}


def test_a_managed_number_change_adds_then_assigns_then_removes(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    estate = tmp_path / "estate"
    write(
        estate, hq=HQ_NUMBERS, lab=LAB_NUMBERS, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[0]}'"
    )
    converge(hub, estate)
    new = "+13125550109"
    write(
        estate, hq=[HQ_NUMBERS[1], new], lab=LAB_NUMBERS, user=f"location: HQ, phoneNumber: '{new}'"
    )
    run = converge(hub, estate)
    messages = results(run)
    assert messages[f"number/acme/HQ/{new}"] == "number added"
    assert messages[f"number/acme/HQ/{HQ_NUMBERS[0]}"] == "number removed"
    after = hub.dump()
    assert [n["value"] for n in person(after, "ann@acme.example")["phoneNumbers"]] == [new]
    inventory = {n["id"] for n in after["numbers"]}
    assert new in inventory
    assert HQ_NUMBERS[0] not in inventory


def test_a_failed_move_job_fails_its_change_with_the_job_outcome(tmp_path: Path) -> None:
    # move_keeps_number=False: a move that names no number fails in the job (27966)
    hub = Hub(tmp_path, move_keeps_number=False)
    estate = tmp_path / "estate"
    write(
        estate, hq=HQ_NUMBERS, lab=LAB_NUMBERS, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[0]}'"
    )
    converge(hub, estate)
    # the number travels with the user: the move names none, which this reading refuses
    write(
        estate,
        hq=[HQ_NUMBERS[1]],
        lab=[*LAB_NUMBERS, HQ_NUMBERS[0]],
        user=f"location: Lab, phoneNumber: '{HQ_NUMBERS[0]}'",
    )
    journal = io.StringIO()
    run = asyncio.run(
        apply_directory(estate, hub.target(), journal=Journal(journal), seams=hub.seams())
    )
    assert run.result is not None
    (failed,) = run.result.failed
    assert failed.address == "user/acme/ann@acme.example"
    # the job's own errors (from its errors list), not only its exit code
    assert failed.message.endswith(
        "ended FAILED (exit code FAILED; 27966: A number of the new group must be given.)"
    )
    lines = [json.loads(line) for line in journal.getvalue().splitlines()]
    (reported,) = [line for line in lines if line["outcome"].startswith("job errors:")]
    assert reported["address"] == "user/acme/ann@acme.example"
    assert reported["outcome"] == "job errors: 27966: A number of the new group must be given."
    assert reported["path"].split("?")[0].endswith("/errors")
    assert not hub.plan_is_empty(estate)  # nothing lost: the next run plans the move again


def _start_move(hub: Hub, org: str, person_id: str, target: str) -> str:
    """Start a move-users job as an interrupted run would have; its id."""

    async def go() -> str:
        async with open_client(hub.target(), read_only=False) as client:
            user = {"userId": person_id, "phoneNumber": LAB_NUMBERS[0]}
            body = {"usersList": [{"locationId": target, "validate": False, "users": [user]}]}
            answer = await client.move_users(org, body)
            return str(answer["response"]["id"])

    return asyncio.run(go())


def _moved_estate(tmp_path: Path, hub: Hub) -> tuple[Path, dict[str, Any]]:
    estate = tmp_path / "estate"
    write(
        estate, hq=HQ_NUMBERS, lab=LAB_NUMBERS, user=f"location: HQ, phoneNumber: '{HQ_NUMBERS[0]}'"
    )
    converge(hub, estate)
    write(
        estate,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'",
    )
    return estate, hub.dump()


def test_a_move_job_an_interrupted_run_left_running_is_waited_for_not_repeated(
    tmp_path: Path,
) -> None:
    hub = Hub(tmp_path, job_seconds=30.0)
    estate, before = _moved_estate(tmp_path, hub)
    ann = person(before, "ann@acme.example")
    job_id = _start_move(hub, ann["orgId"], ann["id"], location_id(before, "Lab"))
    run = converge(hub, estate)
    assert "moved (move-users job)" in results(run)["user/acme/ann@acme.example"]
    after = hub.dump()
    assert [j["id"] for j in after["jobs"]] == [job_id]  # the earlier job, and no other
    assert person(after, "ann@acme.example")["locationId"] == location_id(after, "Lab")


def test_an_earlier_job_outliving_the_deadline_fails_the_change_and_starts_none(
    tmp_path: Path,
) -> None:
    # the job runs longer than apply waits (deadline 600 s): the change fails with a timeout,
    # and no second job is started while the first may still move the user
    hub = Hub(tmp_path, job_seconds=5000.0)
    estate, before = _moved_estate(tmp_path, hub)
    ann = person(before, "ann@acme.example")
    job_id = _start_move(hub, ann["orgId"], ann["id"], location_id(before, "Lab"))
    run = hub.apply(estate)
    assert run.result is not None
    (failed,) = run.result.failed
    assert failed.address == "user/acme/ann@acme.example"
    assert f"job {job_id} still STARTED" in failed.message
    assert [j["id"] for j in hub.dump()["jobs"]] == [job_id]
