"""Create-only fields read back from live, and a customer rename through the identity API:
the example estate applied to a sandbox, then edited, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from apply_helpers import FakeClock, fake_runtime
from click.testing import CliRunner

from reconciler.cli import Runtime, cli

ESTATE = Path(__file__).resolve().parents[2] / "desired-state"
MGA = "MGA-30552"
ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "NO_COLOR": "1",
}


class Cli:
    def __init__(self, runtime: Runtime, estate: Path, db: Path) -> None:
        self.runtime, self.estate, self.db = runtime, estate, db

    def __call__(self, *args: str) -> tuple[int, str, str]:
        command, *rest = args
        full = [command, str(self.estate), "--sandbox", str(self.db), *rest]
        if command == "apply":  # the example's integrated PSTN provider
            full += ["--sandbox-providers", str(ESTATE.parent / "sandbox-providers.yaml")]
        result = CliRunner().invoke(cli, full, env=ENV, obj=self.runtime)
        return result.exit_code, result.stdout, result.stderr

    def edit(self, file: str, /, **fields: Any) -> None:
        path = self.estate / "customers" / file
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc.update(fields)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")


@pytest.fixture
def run(tmp_path: Path, clock: FakeClock) -> Cli:
    estate = tmp_path / "estate"
    shutil.copytree(ESTATE, estate)
    tool = Cli(fake_runtime(clock), estate, tmp_path / "sandbox.sqlite")
    code, out, err = tool("apply", "--yes")
    assert code == 0, out + err
    assert tool("plan", "--detailed-exitcode")[0] == 0
    return tool


def test_a_changed_admin_email_is_a_warning_in_every_rendering(run: Cli) -> None:
    run.edit("maple-grove-accounting.yaml", adminEmail="someone.else@maplegrovecpa.example")
    wanted = (
        "adminEmail cannot change after creation: YAML 'someone.else@maplegrovecpa.example' "
        "is not a Full Administrator of the org"
    )
    for fmt in ("text", "markdown", "json"):
        code, out, err = run("plan", "--detailed-exitcode", "--format", fmt)
        assert code == 0, out + err  # a warning, not a change
        # Markdown escapes the address's characters; the words stand as they are
        assert (wanted if fmt != "markdown" else "is not a Full Administrator of the org") in out
    data = json.loads(run("plan", "--format", "json")[1])
    assert data["changes"] == []
    assert [w["address"] for w in data["warnings"]] == [f"customer/{MGA}"]


def test_an_admin_email_in_another_case_is_no_difference(run: Cli) -> None:
    run.edit("maple-grove-accounting.yaml", adminEmail="Genevieve.Tremblay@MapleGroveCPA.example")
    code, out, err = run("plan", "--detailed-exitcode")
    assert code == 0, out + err
    assert "adminEmail" not in out


def test_a_changed_name_renames_the_org_and_converges(run: Cli) -> None:
    run.edit("maple-grove-accounting.yaml", name="Maple Grove CPA LLP")
    code, out, err = run("plan", "--detailed-exitcode", "--format", "json")
    assert code == 2, out + err
    [change] = json.loads(out)["changes"]
    assert change["address"] == f"customer/{MGA}"
    assert change["fields"] == [
        {"field": "name", "before": "Maple Grove Accounting Inc.", "after": "Maple Grove CPA LLP"}
    ]
    code, out, err = run("apply", "--yes", "--journal", str(run.db.with_suffix(".jsonl")))
    assert code == 0, out + err
    assert "renamed to 'Maple Grove CPA LLP'" in out + err
    journal = [json.loads(line) for line in run.db.with_suffix(".jsonl").read_text().splitlines()]
    # the rename alone: one PATCH of the identity API, no wholesale PUT
    assert [(j["method"], j["path"].split("/")[2]) for j in journal] == [("PATCH", "identity")]
    code, out, err = run("plan", "--detailed-exitcode")
    assert code == 0, out + err


def test_a_rename_with_an_address_change_sends_both(run: Cli) -> None:
    address = {"line1": "200 Bay Street", "line2": "Suite 100", "city": "Toronto", "state": "ON"}
    address |= {"postalCode": "M5J 2J2", "country": "CA"}
    run.edit("maple-grove-accounting.yaml", name="Maple Grove CPA LLP", address=address)
    code, out, err = run("apply", "--yes", "--journal", str(run.db.with_suffix(".jsonl")))
    assert code == 0, out + err
    journal = [json.loads(line) for line in run.db.with_suffix(".jsonl").read_text().splitlines()]
    # the customer's two writes (its headquarters, which takes its address, follows)
    mine = [j["method"] for j in journal if j["address"] == f"customer/{MGA}"]
    assert mine == ["PATCH", "PUT"]
    code, out, err = run("plan", "--detailed-exitcode")
    assert code == 0, out + err
