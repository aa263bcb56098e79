"""Each Webex Calling refusal of the sandbox (Webex mode: plain locations are no calling
locations) is reported first by ``plan``, at the object's FILE:LINE, or planned around (a
step before the write it would refuse), so ``apply`` never meets it.

Each test writes a small estate, seeds the sandbox to match its live side, and runs
``reconciler plan --sandbox DB`` through the CLI."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from admin_client import sandbox_admin
from click.testing import CliRunner

from reconciler.cli import Runtime, cli
from reconciler.workflow.connect import SandboxTarget, open_client

ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "NO_COLOR": "1",
}
ADDRESS = {
    "address1": "1 Main St",
    "city": "Chicago",
    "state": "IL",
    "postalCode": "60601",
    "country": "US",
}

HEAD = """kind: Customer
externalId: acme
name: Acme
adminEmail: admin@acme.example
template: std
language: en_us
packages: [webex_calling]
address: {line1: 1 Main St, city: Chicago, state: IL, postalCode: '60601', country: US}
headquarters: HQ
"""


def estate(tmp: Path, body: str) -> Path:
    directory = tmp / "estate"
    (directory / "customers").mkdir(parents=True)
    (directory / "templates.yaml").write_text(
        "kind: Template\nname: std\nprovisioningId: PID-STD\n", encoding="utf-8"
    )
    (directory / "customers" / "acme.yaml").write_text(HEAD + body, encoding="utf-8")
    return directory


def seed(db: Path, locations: list[dict[str, Any]], subscribers: list[dict[str, Any]]) -> None:
    body = {
        "templates": [{"name": "std", "provisioningId": "PID-STD"}],
        "customers": [
            {
                "externalId": "acme",
                "name": "Acme",
                "packages": ["webex_calling"],
                "address": {
                    "addressLine1": "1 Main St",
                    "city": "Chicago",
                    "stateOrProvince": "IL",
                    "zipOrPostalCode": "60601",
                    "country": "US",
                },
                "locations": locations,
                "subscribers": subscribers,
            }
        ],
    }

    async def go() -> None:
        async with open_client(SandboxTarget(db=str(db)), read_only=False) as client:
            await sandbox_admin(client, "POST", "/seed", body)

    asyncio.run(go())


def plan(directory: Path, db: Path) -> tuple[int, dict[str, Any], str]:
    args = ["plan", str(directory), "--sandbox", str(db), "--format", "json"]
    result = CliRunner().invoke(cli, args, env=ENV, obj=Runtime())
    assert "Traceback" not in result.output
    data = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, data, result.stderr


def hq(**extra: Any) -> dict[str, Any]:
    return {
        "name": "HQ",
        "timeZone": "America/Chicago",
        "address": ADDRESS,
        "calling": True,
        **extra,
    }


def blocked_at(data: dict[str, Any], address: str, text: str) -> str:
    """The blocked message for ``address`` containing ``text``; it names acme.yaml:LINE."""
    found = [
        b["message"] for b in data["blocked"] if b["address"] == address and text in b["message"]
    ]
    assert found, data["blocked"]
    assert re.search(r"customers/acme\.yaml:\d+:\d+\)$", found[0]), found[0]
    return found[0]


LOCATIONS = """locations:
  - {name: HQ, timeZone: America/Chicago, preferredLanguage: en_us}
"""


def test_a_calling_user_into_a_plain_location_waits_for_calling_enabled_there(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq(), {"name": "Lab", "timeZone": "America/Chicago", "address": ADDRESS}], [])
    directory = estate(
        tmp_path,
        LOCATIONS
        + """  - name: Lab
    timeZone: America/Chicago
    preferredLanguage: en_us
    address: {line1: 1 Main St, city: Chicago, state: IL, postalCode: '60601', country: US}
    numbers: ['+13125550101']
users:
  - {email: ann@acme.example, package: webex_calling, location: Lab, phoneNumber: '+13125550101'}
""",
    )
    code, data, _ = plan(directory, db)
    assert code == 0
    assert not data["blocked"]
    changes = {c["address"]: c for c in data["changes"]}
    assert changes["calling/acme/Lab"]["action"] == "create"
    user = changes["user/acme/ann@acme.example"]
    assert "calling/acme/Lab" in user["dependsOn"]
    assert "number/acme/Lab/+13125550101" in user["dependsOn"]


def test_a_number_in_no_inventory_of_its_location_is_blocked_at_its_line(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq(numbers=["+13125550100"])], [])
    directory = estate(
        tmp_path,
        LOCATIONS
        + """users:
  - {email: ann@acme.example, package: webex_calling, location: HQ, phoneNumber: '+13125550177'}
""",
    )
    code, data, _ = plan(directory, db)
    assert code == 3
    blocked_at(data, "user/acme/ann@acme.example", "is in no number inventory of location 'HQ'")


def test_a_number_another_person_keeps_is_blocked_at_its_line(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(
        db,
        [hq(numbers=["+13125550100"])],
        [
            {
                "email": "bo@acme.example",
                "package": "webex_calling",
                "location": "HQ",
                "phoneNumber": "+13125550100",
            }
        ],
    )
    directory = estate(
        tmp_path,
        LOCATIONS
        + """users:
  - {email: ann@acme.example, package: webex_calling, location: HQ, phoneNumber: '+13125550100'}
""",
    )
    # bo is in no YAML file (prune off): left alone, so it keeps its number
    code, data, _ = plan(directory, db)
    assert code == 3
    blocked_at(data, "user/acme/ann@acme.example", "is held by bo@acme.example, who keeps it")
    # two users of the YAML on one number: validate reports it before any plan
    (directory / "customers" / "acme.yaml").write_text(
        HEAD
        + LOCATIONS
        + """users:
  - {email: ann@acme.example, package: webex_calling, location: HQ, phoneNumber: '+13125550100'}
  - {email: bo@acme.example, package: webex_calling, location: HQ, phoneNumber: '+13125550100'}
""",
        encoding="utf-8",
    )
    code, _, stderr = plan(directory, db)
    assert code == 1
    assert re.search(r"acme\.yaml:\d+:\d+: phoneNumber \+13125550100 is also the number", stderr)


def test_a_headquarters_delete_is_reported_at_its_line(tmp_path: Path) -> None:
    # The YAML's headquarters marked absent: validate reports it before any plan (the
    # planner's own block, for a live headquarters the YAML deletes, is golden case 49).
    db = tmp_path / "s.sqlite"
    seed(db, [hq(), {**hq(), "name": "Lab"}], [])
    directory = estate(
        tmp_path,
        """locations:
  - {name: HQ, state: absent}
  - {name: Lab, timeZone: America/Chicago, preferredLanguage: en_us}
""",
    )
    code, _, stderr = plan(directory, db)
    assert code == 1
    assert re.search(r"acme\.yaml:\d+:\d+: headquarters 'HQ' is a location marked absent", stderr)


def test_an_address_its_country_does_not_allow_is_blocked_at_its_line(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq()], [])
    directory = estate(
        tmp_path,
        LOCATIONS
        + """  - name: Berlin
    timeZone: Europe/Berlin
    preferredLanguage: de_de
    address: {line1: Friedrichstrasse 68, city: Berlin, country: DE}
  - name: Dallas
    timeZone: Europe/Berlin
    preferredLanguage: en_us
    address: {line1: 9 Elm St, city: Dallas, country: US}
""",
    )
    code, data, _ = plan(directory, db)
    assert code == 3
    blocked_at(data, "location/acme/Berlin", "country DE requires a postalCode")
    dallas = blocked_at(data, "location/acme/Dallas", "country US requires a state")
    assert "timeZone 'Europe/Berlin' is not a time zone of US" in dallas


def test_a_calling_user_changes_location_through_the_move_job_not_a_people_put(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.sqlite"
    seed(
        db,
        [hq(numbers=["+13125550100"]), {**hq(), "name": "Lab", "numbers": ["+13125550200"]}],
        [
            {
                "email": "bo@acme.example",
                "package": "webex_calling",
                "location": "HQ",
                "phoneNumber": "+13125550100",
            }
        ],
    )
    directory = estate(
        tmp_path,
        LOCATIONS
        + """  - {name: Lab, timeZone: America/Chicago, preferredLanguage: en_us}
users:
  - {email: bo@acme.example, package: webex_calling, location: Lab, phoneNumber: '+13125550200'}
""",
    )
    code, data, _ = plan(directory, db)
    assert code == 0
    assert not data["blocked"]
    (user,) = [c for c in data["changes"] if c["address"] == "user/acme/bo@acme.example"]
    assert any("move-users job" in n for n in user["notes"])


def test_a_calling_location_delete_disables_calling_first(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq(), {**hq(), "name": "Lab"}], [])
    directory = estate(tmp_path, LOCATIONS + "  - {name: Lab, state: absent}\n")
    code, data, _ = plan(directory, db)
    assert code == 0
    assert not data["blocked"]
    changes = {c["address"]: c for c in data["changes"]}
    assert changes["calling/acme/Lab"]["action"] == "delete"
    assert changes["location/acme/Lab"]["dependsOn"] == ["calling/acme/Lab"]
