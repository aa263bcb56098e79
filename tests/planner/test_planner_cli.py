"""``reconciler plan`` against the in-process sandbox: creates for an empty Partner Hub, drift
for a seeded one, exit codes, --out, scoping, prechecks, and no write ever sent."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from admin_client import sandbox_admin, sandbox_stats
from click.testing import CliRunner

from reconciler import planner, workflow
from reconciler.bodies import customer_address, location_address
from reconciler.cli import cli
from reconciler.cli.console import StderrProgress, use_colour
from reconciler.desired import load_desired
from reconciler.model import State
from reconciler.plan import Plan
from reconciler.workflow.connect import SandboxTarget, open_client

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "desired-state"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        ["plan", *args],
        env={"RECONCILER_SANDBOX": None, "WEBEX_API_URL": None, "WEBEX_TOKEN": None, **(env or {})},
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def sandbox_db(tmp_path: Path) -> str:
    return str(tmp_path / "sandbox.sqlite")


def test_plan_on_an_empty_sandbox_lists_every_object_as_a_create(sandbox_db: str) -> None:
    code, out, err = run(str(ESTATE), "--sandbox", sandbox_db, "--format", "json")
    assert code == 0, err
    plan = Plan.from_json(out)
    desired = load_desired(ESTATE)
    assert {c.action for c in plan.changes} == {"create"}
    addresses = {c.address for c in plan.changes}
    assert {f"customer/{e}" for e in desired.customers} <= addresses
    assert {f"user/{e}/{m}" for e, m in desired.users} <= addresses
    carried = {
        (c.customer, f.after["name"])
        for c in plan.changes
        for f in c.fields
        if f.field == "headquarters"
    }
    for key in desired.locations:
        assert (f"location/{key[0]}/{key[1]}" in addresses) != (key in carried), key
    assert plan.to_json() == planner.plan(desired, State()).to_json()
    assert not plan.blocked
    # the only warnings: the numbers Southern Cross Health's PSTN provider supplies
    assert {n.address for n in plan.warnings} == {
        "calling/SCH-80365/Melbourne Clinic",
        "location/SCH-80365/Sydney Head Office",
    }
    assert not plan.unmanaged


def test_detailed_exitcode_is_2_with_changes_and_text_ends_with_the_summary(
    sandbox_db: str,
) -> None:
    code, out, _ = run(str(ESTATE), "--sandbox", sandbox_db, "--detailed-exitcode")
    assert code == 2
    lines = out.rstrip().splitlines()
    assert lines[-2].startswith("Plan: ")
    assert lines[-2].endswith("to create, 0 to update, 0 to delete.")
    assert lines[-1].startswith("Checksum: ")
    assert "\x1b[" not in out  # not a terminal: no colour


def test_out_saves_the_json_plan_with_the_printed_checksum(sandbox_db: str, tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    code, out, _ = run(str(ESTATE), "--sandbox", sandbox_db, "--out", str(target))
    assert code == 0
    saved = Plan.from_json(target.read_text())
    assert f"Checksum: {saved.checksum}" in out
    assert not (tmp_path / "plan.json.tmp").exists()


def test_markdown_format_prints_the_pr_comment(sandbox_db: str) -> None:
    code, out, _ = run(str(ESTATE), "--sandbox", sandbox_db, "--format", "markdown")
    assert code == 0
    assert out.startswith("### reconciler plan:")
    assert "| MGA-30552 |" in out


def test_customer_option_scopes_the_plan(sandbox_db: str) -> None:
    code, out, _ = run(
        str(ESTATE), "--sandbox", sandbox_db, "--customer", "MGA-30552", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["scope"] == ["MGA-30552"]
    assert {c["customer"] for c in data["changes"]} == {"MGA-30552"}


def test_usage_errors_exit_64_with_one_message(sandbox_db: str) -> None:
    code, _, err = run(str(ESTATE), "--sandbox", sandbox_db, "--customer", "NOPE-1")
    assert code == 64
    assert "NOPE-1" in err
    assert "Traceback" not in err
    code, _, err = run(str(ESTATE), "--sandbox", sandbox_db, "--format", "yaml")
    assert code == 64
    code, _, err = run(str(ESTATE))
    assert code == 64
    assert "--sandbox" in err
    assert "WEBEX_TOKEN" in err


def test_a_missing_directory_is_an_error_not_a_traceback(sandbox_db: str) -> None:
    code, out, err = run("/nonexistent/estate", "--sandbox", sandbox_db)
    assert code == 1
    assert "Traceback" not in out + err


def write_estate(root: Path, *, provisioning_id: str | None) -> Path:
    pid = f"provisioningId: {provisioning_id}\n" if provisioning_id else ""
    (root / "estate.yaml").write_text(
        "kind: Template\nname: std\n" + pid + "---\n"
        "kind: Customer\nexternalId: NEW-1\nname: New One\nadminEmail: admin@new-one.example\n"
        "template: std\npackages: [webex_meetings]\n"
        "address: {line1: 1 Main St, city: Springfield, country: US}\n"
    )
    return root


def test_blocked_plan_exits_3_unless_forced(sandbox_db: str, tmp_path: Path) -> None:
    estate = write_estate(tmp_path, provisioning_id=None)
    code, out, err = run(str(estate), "--sandbox", sandbox_db)
    assert code == 3
    assert "Blocked (exit 3 unless --force):" in out
    assert "templates checklist" in out
    assert "blocked" in err
    code, _, _ = run(str(estate), "--sandbox", sandbox_db, "--force")
    assert code == 0
    code, _, _ = run(str(estate), "--sandbox", sandbox_db, "--force", "--detailed-exitcode")
    assert code == 2


def seed_body(desired: State, ext: str) -> dict[str, Any]:
    """A sandbox seed for one desired customer, exactly as the YAML says."""
    cust = desired.customers[ext]
    locations = [loc for key, loc in desired.locations.items() if key[0] == ext]
    users = [u for key, u in desired.users.items() if key[0] == ext]
    return {
        "externalId": ext,
        "name": cust.name,
        "packages": list(cust.packages),
        "address": customer_address(cust.address),
        "locations": [
            {
                "name": loc.name,
                "timeZone": loc.time_zone,
                "preferredLanguage": loc.preferred_language,
                "address": location_address(loc.address or cust.address),
                "calling": True,
            }
            for loc in locations
        ],
        "subscribers": [
            {
                k: v
                for k, v in {
                    "email": u.email,
                    "package": u.package,
                    "firstName": u.first_name,
                    "lastName": u.last_name,
                    "phoneNumber": u.phone_number,
                    "extension": u.extension,
                    "location": u.location,
                    "roles": list(u.roles),
                }.items()
                if v is not None
            }
            for u in users
        ],
    }


async def seed(db: str, body: dict[str, Any]) -> None:
    async with open_client(SandboxTarget(db=db), read_only=False) as client:
        await sandbox_admin(client, "POST", "/seed", body)


def test_plan_against_a_seeded_sandbox_shows_only_the_drift(sandbox_db: str) -> None:
    desired = load_desired(ESTATE)
    ext = "MGA-30552"
    body = seed_body(desired, ext)
    drifted = body["subscribers"][1]
    drifted["extension"] = "999"
    body["subscribers"].append(
        {"email": "intern@maplegrovecpa.example", "package": "webex_calling_standard"}
    )
    foreign = {
        "externalId": "FOREIGN-1",
        "packages": ["webex_meetings"],
        "address": {"addressLine1": "1 Elsewhere", "city": "Oslo", "country": "NO"},
    }
    asyncio.run(seed(sandbox_db, {"customers": [body, foreign]}))

    code, out, err = run(
        str(ESTATE), "--sandbox", sandbox_db, "--customer", ext, "--format", "json"
    )
    assert code == 0, err
    plan = Plan.from_json(out)
    assert [(c.action, c.address) for c in plan.changes] == [
        ("update", f"user/{ext}/{drifted['email']}")
    ]
    assert [(f.field, f.before, f.after) for f in plan.changes[0].fields] == [
        ("extension", "999", desired.users[(ext, drifted["email"])].extension)
    ]
    assert [n.address for n in plan.unmanaged] == [f"user/{ext}/intern@maplegrovecpa.example"]

    code, out, _ = run(str(ESTATE), "--sandbox", sandbox_db, "--format", "json")
    full = Plan.from_json(out)
    assert [n.address for n in full.unmanaged] == [
        "customer/FOREIGN-1",
        f"user/{ext}/intern@maplegrovecpa.example",
    ]
    assert f"customer/{ext}" not in {c.address for c in full.changes}


@pytest.mark.anyio
@pytest.mark.parametrize("precheck", [False, True])
async def test_a_plan_sends_no_write_even_with_prechecks(sandbox_db: str, precheck: bool) -> None:
    desired = load_desired(ESTATE)
    body = seed_body(desired, "MGA-30552")
    body["subscribers"][0]["lastName"] = "Changed"
    await seed(sandbox_db, {"customers": [body]})
    async with open_client(
        SandboxTarget(db=sandbox_db),
        read_only=True,
        templates=workflow.templates_of(desired),
    ) as client:
        planned = await workflow.plan_with(client, desired, precheck=precheck)
        stats = await sandbox_stats(client)
    plan = planned.plan
    assert plan.summary["update"]["user"] == 1
    writes = {
        route: n
        for route, n in stats["byRoute"].items()
        if not route.startswith("GET ") and not route.endswith("/validate")
    }
    assert writes == {}
    validations = sum(n for r, n in stats["byRoute"].items() if r.endswith("/validate"))
    creates = [c for c in plan.changes if c.action == "create" and c.kind in ("customer", "user")]
    if precheck:
        assert validations == len(creates) > 0
        assert {n.address for n in plan.prechecks} == {c.address for c in creates}
        assert all(n.message.startswith(("ok:", "failed:")) for n in plan.prechecks)
    else:
        assert validations == 0
        assert not plan.prechecks


def test_colour_only_on_a_terminal_without_no_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_colour(Tty(), {}) is True
    assert use_colour(Tty(), {"NO_COLOR": "1"}) is False
    assert use_colour(io.StringIO(), {}) is False


def test_progress_rewrites_one_line_on_a_terminal_and_stays_short_in_logs() -> None:
    log = io.StringIO()
    progress = StderrProgress(log)
    for i in range(1, 101):
        progress("organizations", i, 100)
    progress("customers", 3, 3)
    lines = log.getvalue().splitlines()
    assert lines[0] == "reading Partner Hub: organizations 10/100"
    assert lines[-1] == "reading Partner Hub: organizations 100/100"
    assert len(lines) == 10


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_changed_since_scopes_the_plan_to_the_customers_whose_files_changed(
    sandbox_db: str, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ESTATE, repo / "desired-state")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "estate")
    estate = repo / "desired-state"

    code, out, err = run(str(estate), "--sandbox", sandbox_db, "--changed-since", "HEAD")
    assert code == 0, err
    assert "nothing in scope" in err
    assert "No changes." in out

    path = estate / "customers" / "kestrel-research.yaml"
    path.write_text(path.read_text() + "\n")
    code, out, err = run(
        str(estate), "--sandbox", sandbox_db, "--changed-since", "HEAD", "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["scope"] == ["KSR-70211"]
    assert {c["customer"] for c in data["changes"]} == {"KSR-70211"}
