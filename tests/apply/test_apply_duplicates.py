"""Duplicates under a key Webex may not enforce (location names, with the sandbox's
``duplicate_location_name_status`` switched off), against a served sandbox: two applies racing
to create one location leave two; the second create's re-check finds the first and fails its
change, naming both IDs; the next plan reports the duplicate, and blocks a change that touches
it. And two live subscribers with one email block the change to them."""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_client import sandbox_admin
from apply_helpers import FakeClock, fake_runtime
from click.testing import CliRunner
from served import served

from reconciler.api import Credentials
from reconciler.cli import Runtime, cli
from reconciler.plan import Plan
from reconciler.sandbox import SandboxConfig
from reconciler.workflow import ApplyRun, Seams, Selection, apply_directory
from reconciler.workflow.connect import ApiTarget, SandboxTarget

ESTATE = Path(__file__).resolve().parents[2] / "desired-state"
CUSTOMER = "MGA-30552"
FILE = "customers/maple-grove-accounting.yaml"
NEW = "Kingston Office"
LOCATION = f"""locations:
  - name: {NEW}
    timeZone: America/Toronto
    preferredLanguage: en_us
    announcementLanguage: en_us
"""
ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "NO_COLOR": "1",
}


Raced = tuple[Runtime, Path, str, ApplyRun, ApplyRun]


def cli_run(rt: Runtime, url: str, *args: str) -> tuple[int, str, str]:
    env = ENV | {"WEBEX_TOKEN": TOKEN}
    result = CliRunner().invoke(cli, [*args, "--api-url", url], env=env, obj=rt)
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


TOKEN = "sandbox-full"


@pytest.fixture
def raced(tmp_path: Path, clock: FakeClock) -> Iterator[Raced]:
    """The customer applied; then a location added and applied by two runs at once: the second
    run plans, and before it writes the first run makes the whole change."""
    config = SandboxConfig(
        db=str(tmp_path / "hub.sqlite"),
        clock=clock,
        sleep=clock.sleep,
        duplicate_location_name_status=None,
    )
    rt = Runtime(seams=Seams(clock=clock, sleep=clock.sleep))
    estate = tmp_path / "estate"
    shutil.copytree(ESTATE, estate)
    # First applied in-process (which registers the templates), then served for the race.
    first_apply = CliRunner().invoke(
        cli,
        ["apply", str(estate), "--sandbox", config.db, "--yes", "--customer", CUSTOMER],
        env=ENV,
        obj=fake_runtime(clock),
    )
    assert first_apply.exit_code == 0, first_apply.output
    with served(config) as url:
        path = estate / FILE
        path.write_text(path.read_text().replace("locations:\n", LOCATION, 1))
        target = ApiTarget(url=url, credentials=Credentials(token=TOKEN))
        selection = Selection((CUSTOMER,))
        first: list[ApplyRun] = []

        def the_other_run(plan: Plan) -> bool:
            # the location, and calling enabled on it (its customer holds a calling package)
            assert [(c.action, c.address) for c in plan.changes] == [
                ("create", f"location/{CUSTOMER}/{NEW}"),
                ("create", f"calling/{CUSTOMER}/{NEW}"),
            ]
            run = apply_directory(estate, target, selection, seams=rt.seams)
            worker = threading.Thread(target=lambda: first.append(asyncio.run(run)))
            worker.start()
            worker.join()
            return True

        second = asyncio.run(
            apply_directory(estate, target, selection, confirm=the_other_run, seams=rt.seams)
        )
        yield rt, estate, url, first[0], second


def test_the_second_create_finds_the_first_and_fails_naming_both(
    raced: Raced,
) -> None:
    _, _, _, first, second = raced
    assert first.result is not None
    assert first.result.ok, first.result.results
    assert second.result is not None
    [failed] = second.result.failed
    assert failed.address == f"location/{CUSTOMER}/{NEW}"
    assert failed.message.startswith(f"2 locations named '{NEW}' now exist in {CUSTOMER} (ids ")
    assert "delete one in Partner Hub" in failed.message


def test_the_next_plan_reports_the_duplicate_and_blocks_a_change_touching_it(
    raced: Raced,
) -> None:
    rt, estate, url, _, second = raced
    assert second.result is not None
    ids = second.result.failed[0].message.split("(ids ")[1].split(")")[0]
    code, out, err = cli_run(rt, url, "plan", str(estate), "--customer", CUSTOMER)
    assert code == 0, out + err  # nothing touches it yet: reported, not blocking
    assert f"2 live locations have this name (ids {ids}); the plan sees one of them" in out
    path = estate / FILE
    path.write_text(path.read_text().replace(LOCATION, LOCATION.replace("en_us", "fr_ca", 1)))
    code, out, err = cli_run(rt, url, "plan", str(estate), "--customer", CUSTOMER)
    assert code == 3, out + err
    assert f"so a change could reach either: update location/{CUSTOMER}/{NEW}" in out
    assert f"(ids {ids})" in out
    code, out, err = cli_run(rt, url, "apply", str(estate), "--yes", "--customer", CUSTOMER)
    assert code == 3
    assert f"location/{CUSTOMER}/{NEW}: 2 live locations have this name (ids {ids})" in err


SEED = {
    "templates": [{"name": "std", "provisioningId": "PID-DUP"}],
    "customers": [
        {
            "externalId": "dup",
            "name": "Dup Ltd",
            "packages": ["webex_meetings"],
            "address": {"addressLine1": "1 High Street", "city": "Leeds", "country": "GB"},
            "subscribers": [
                {"email": "bob@dup.example", "package": "webex_meetings", "lastName": "Old"},
                {"email": "Bob@dup.example", "package": "webex_meetings", "lastName": "Old"},
            ],
        }
    ],
}
DUP_ESTATE = {
    "templates.yaml": "kind: Template\nname: std\nprovisioningId: PID-DUP\n",
    "dup.yaml": (
        "kind: Customer\nexternalId: dup\nname: Dup Ltd\nadminEmail: admin@dup.example\n"
        "template: std\npackages: [webex_meetings]\n"
        "address: {line1: 1 High Street, city: Leeds, country: GB}\n"
        "users:\n  - {email: bob@dup.example, firstName: Bob, lastName: New, "
        "package: webex_meetings}\n"
    ),
}


def test_two_live_subscribers_with_one_email_block_the_change_to_them(
    tmp_path: Path, clock: FakeClock
) -> None:
    db = str(tmp_path / "hub.sqlite")
    rt = fake_runtime(clock)

    async def seed() -> None:
        async with rt.seams.connect(SandboxTarget(db=db), read_only=False) as client:
            await sandbox_admin(client, "POST", "/seed", SEED)

    asyncio.run(seed())
    estate = tmp_path / "estate"
    estate.mkdir()
    for name, text in DUP_ESTATE.items():
        (estate / name).write_text(text)
    result = CliRunner().invoke(cli, ["plan", str(estate), "--sandbox", db], env=ENV, obj=rt)
    assert result.exit_code == 3, result.output
    found = re.search(
        r"user/dup/bob@dup\.example: 2 live users have this email \(ids (\S+), (\S+)\); the plan "
        r"sees one of them, so a change could reach either: update user/dup/bob@dup\.example",
        result.stdout,
    )
    assert found is not None, result.stdout
    assert found.group(1) != found.group(2)
