"""``reconciler apply`` end to end in-process (CLI → in-process sandbox on a SQLite file):
convergence from empty and after YAML edits, stale plans refused with nothing written, blocked
plans, the --yes rule, the journal and the result table."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from admin_client import sandbox_admin
from apply_helpers import FakeClock, fake_runtime
from click.testing import CliRunner

from reconciler.cli import Runtime, cli
from reconciler.plan import Plan
from reconciler.workflow.connect import SandboxTarget

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "desired-state"
CLEAN_ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "NO_COLOR": "1",
}


#: The runtime every command of a test runs in: the test's fake clock (set per test below).
RUNTIME = Runtime()


@pytest.fixture(autouse=True)
def on_fake_clock(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply's polls and the sandbox's provisioning run on the test's fake clock."""
    monkeypatch.setattr(sys.modules[__name__], "RUNTIME", fake_runtime(clock))


def reconciler(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=CLEAN_ENV, obj=RUNTIME)
    return result.exit_code, result.stdout, result.stderr


def dump(db: Path) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with RUNTIME.seams.connect(SandboxTarget(db=str(db)), read_only=True) as client:
            data = await sandbox_admin(client, "GET", "/dump")
            assert isinstance(data, dict)
            return data

    return asyncio.run(go())


def no_duplicates(data: dict[str, Any]) -> None:
    ext = [c["externalId"] for c in data["customers"]]
    assert len(ext) == len(set(ext)), "duplicate customer"
    locs = [(loc["orgId"], loc["name"]) for loc in data["locations"]]
    assert len(locs) == len(set(locs)), "duplicate location"
    subs = [s["email"].lower() for s in data["subscribers"]]
    assert len(subs) == len(set(subs)), "duplicate subscriber"
    people = [p["emails"][0].lower() for p in data["people"]]
    assert len(people) == len(set(people)), "duplicate person"


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    return copy


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.sqlite"


def converge(estate: Path, db: Path, *scope: str, journal: Path | None = None) -> str:
    """apply --yes, then plan --detailed-exitcode must exit 0 (no changes)."""
    extra = ["--journal", str(journal)] if journal else []
    providers = ["--sandbox-providers", str(ROOT / "sandbox-providers.yaml")]
    code, out, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), *providers, "--yes", *scope, *extra
    )
    assert code == 0, out + err
    code, out2, err2 = reconciler(
        "plan", str(estate), "--sandbox", str(db), "--detailed-exitcode", *scope
    )
    assert code == 0, out2 + err2
    return out + err


def edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_apply_without_a_terminal_needs_yes_and_writes_nothing(estate: Path, db: Path) -> None:
    code, _, err = reconciler("apply", str(estate), "--sandbox", str(db))
    assert code == 64
    assert "--yes" in err
    assert not db.exists()


def test_apply_converges_from_empty_then_after_edits(
    estate: Path, db: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    output = converge(estate, db, journal=journal)
    assert "total" in output
    # the calling steps have their rows in the result table
    assert re.search(r"^calling +\d+ +0 +0$", output, flags=re.MULTILINE), output
    assert re.search(r"^number +\d+ +0 +0$", output, flags=re.MULTILINE), output
    assert "done" in output
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert lines
    assert all(line["method"] != "GET" for line in lines)
    keys = {"time", "address", "action", "method", "path", "status", "trackingId", "outcome"}
    assert set(lines[0]) == keys
    assert "sandbox-full" not in journal.read_text()
    no_duplicates(dump(db))

    mga = estate / "customers" / "maple-grove-accounting.yaml"

    def package_change(doc: dict[str, Any]) -> None:
        doc["packages"] = ["webex_calling_standard", "webex_meetings"]
        liam = next(u for u in doc["users"] if u["email"].startswith("liam"))
        liam["package"] = "webex_meetings"
        for key in ("location", "phoneNumber", "extension"):  # calling settings: not kept
            liam.pop(key)

    edit(mga, package_change)

    def meetings_to_calling(doc: dict[str, Any]) -> None:
        user = next(u for u in doc["users"] if u.get("lastName") == "Lehmann")
        user.update(
            package="webex_calling",
            location="Hamburg Zentrale",
            phoneNumber="+494066969199",
            extension="199",
        )
        # the number joins the location's managed numbers (added before the user takes it)
        hq = next(loc for loc in doc["locations"] if loc["name"] == "Hamburg Zentrale")
        hq["numbers"] = [*hq["numbers"], "+494066969199"]

    edit(estate / "customers" / "nordlicht-engineering.yaml", meetings_to_calling)
    converge(estate, db)

    def move_and_rename(doc: dict[str, Any]) -> None:
        ottawa = next(loc for loc in doc["locations"] if loc["name"] == "Ottawa Office")
        ottawa["name"] = "Ottawa Centre"
        ottawa["previously"] = "Ottawa Office"
        for user in doc["users"]:
            if user.get("location") == "Ottawa Office":
                user["location"] = "Ottawa Centre"
        harpreet = next(u for u in doc["users"] if u["email"].startswith("harpreet"))
        harpreet["location"] = "Ottawa Centre"
        # the move-users job carries a calling user's number to its new location
        toronto = next(loc for loc in doc["locations"] if loc["name"] != "Ottawa Centre")
        toronto["numbers"].remove(harpreet["phoneNumber"])
        ottawa["numbers"] = [*ottawa["numbers"], harpreet["phoneNumber"]]

    edit(mga, move_and_rename)
    converge(estate, db)

    def tombstone_and_drop(doc: dict[str, Any]) -> None:
        samuel = next(u for u in doc["users"] if u["email"].startswith("samuel"))
        samuel.clear()
        samuel.update(email="samuel.wong@maplegrovecpa.example", state="absent")
        doc["users"] = [u for u in doc["users"] if not u["email"].startswith("chantal")]

    edit(mga, tombstone_and_drop)
    edit(estate / "settings.yaml", lambda doc: doc.update(prune=True))
    converge(estate, db)

    data = dump(db)
    no_duplicates(data)
    org = next(c["orgId"] for c in data["customers"] if c["externalId"] == "MGA-30552")
    names = sorted(loc["name"] for loc in data["locations"] if loc["orgId"] == org)
    assert names == ["Ottawa Centre", "Toronto Office"]
    emails = {s["email"].split("@")[0] for s in data["subscribers"]}
    assert "samuel.wong" not in emails
    assert "chantal.bouchard" not in emails
    liam = next(s for s in data["subscribers"] if s["email"].startswith("liam"))
    assert liam["packages"] == ["webex_meetings"]
    lehmann = next(p for p in data["people"] if p.get("lastName") == "Lehmann")
    assert lehmann["extension"] == "199"
    assert [n["value"] for n in lehmann["phoneNumbers"]] == ["+494066969199"]


def test_stale_checksum_and_stale_plan_file_are_refused_with_nothing_written(
    estate: Path, db: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    code, _, err = reconciler("plan", str(estate), "--sandbox", str(db), "--out", str(saved))
    assert code == 0, err
    reviewed = Plan.from_json(saved.read_text())
    # Someone applies one customer in between: the reviewed plan is now stale.
    code, out, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), "--yes", "--customer", "KSR-70211"
    )
    assert code == 0, out + err
    before = dump(db)
    journal = tmp_path / "journal.jsonl"

    code, out, err = reconciler(
        "apply",
        str(estate),
        "--sandbox",
        str(db),
        "--yes",
        "--plan",
        str(saved),
        "--journal",
        str(journal),
    )
    assert code == 1
    assert "plan has changed since it was reviewed" in err
    assert "gone:    create customer/KSR-70211" in err
    assert dump(db) == before
    assert journal.read_text() == ""

    code, out, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), "--yes", "--checksum", reviewed.checksum
    )
    assert code == 1
    assert reviewed.checksum in err
    assert dump(db) == before


def test_matching_checksum_applies(estate: Path, db: Path) -> None:
    code, out, err = reconciler(
        "plan", str(estate), "--sandbox", str(db), "--format", "json", "--customer", "KSR-70211"
    )
    assert code == 0, err
    checksum = json.loads(out)["checksum"]
    code, out, err = reconciler(
        "apply",
        str(estate),
        "--sandbox",
        str(db),
        "--yes",
        "--customer",
        "KSR-70211",
        "--checksum",
        checksum,
    )
    assert code == 0, out + err
    assert [c["externalId"] for c in dump(db)["customers"]] == ["KSR-70211"]


def test_blocked_plan_exits_3_and_writes_nothing(estate: Path, db: Path) -> None:
    template = estate / "templates" / "eu-suite.yaml"
    edit(template, lambda doc: doc.pop("provisioningId"))
    code, _, err = reconciler("apply", str(estate), "--sandbox", str(db), "--yes")
    assert code == 3, err
    assert "provisioningId" in err
    assert dump(db)["customers"] == []


def test_a_failed_change_exits_1_with_the_table_and_skips_its_dependents(
    estate: Path, db: Path
) -> None:
    converge(estate, db, "--customer", "MGA-30552")
    # An admin email that already belongs to a person elsewhere: Partner Hub refuses the
    # customer (409, errorCode 10022), so its users cannot be created either.
    edit(
        estate / "customers" / "kestrel-research.yaml",
        lambda doc: doc.update(adminEmail="liam.macdonald@maplegrovecpa.example"),
    )
    edit(
        estate / "customers" / "maple-grove-accounting.yaml",
        lambda doc: doc.update(packages=["webex_calling_standard", "webex_meetings"]),
    )
    code, out, err = reconciler(
        "apply",
        str(estate),
        "--sandbox",
        str(db),
        "--yes",
        "--customer",
        "KSR-70211",
        "--customer",
        "MGA-30552",
    )
    assert code == 1
    assert "Failed:" in out
    assert "create customer/KSR-70211" in out
    assert "Skipped:" in out
    assert "not attempted: customer/KSR-70211 failed" in out
    assert "1 change(s) failed" in err
    # The other customer carried on.
    data = dump(db)
    assert [c["externalId"] for c in data["customers"]] == ["MGA-30552"]
    assert data["customers"][0]["packages"] == ["webex_calling_standard", "webex_meetings"]


def test_empty_plan_says_so(estate: Path, db: Path) -> None:
    converge(estate, db, "--customer", "KSR-70211")
    code, out, _ = reconciler(
        "apply", str(estate), "--sandbox", str(db), "--yes", "--customer", "KSR-70211"
    )
    assert code == 0
    assert "No changes" in out


def test_on_a_terminal_apply_shows_the_plan_and_asks(estate: Path, db: Path) -> None:
    on_a_terminal = replace(RUNTIME, terminal=lambda stream: True)
    scope = ("--customer", "KSR-70211")
    result = CliRunner().invoke(
        cli,
        ["apply", str(estate), "--sandbox", str(db), *scope],
        input="n\n",
        env=CLEAN_ENV,
        obj=on_a_terminal,
    )
    assert result.exit_code == 1
    assert "+ customer/KSR-70211" in result.stdout
    assert "Apply these" in result.stdout
    assert "nothing was changed" in result.stderr
    assert dump(db)["customers"] == []

    result = CliRunner().invoke(
        cli,
        ["apply", str(estate), "--sandbox", str(db), *scope],
        input="y\n",
        env=CLEAN_ENV,
        obj=on_a_terminal,
    )
    assert result.exit_code == 0, result.output
    assert [c["externalId"] for c in dump(db)["customers"]] == ["KSR-70211"]


def test_force_applies_a_blocked_plan_and_says_so(estate: Path, db: Path) -> None:
    edit(estate / "settings.yaml", lambda doc: doc.update(prune=True, maxDeletePercent=5))
    scope = ("--customer", "THA-40018")
    converge(estate, db, *scope)
    # One of its 10 users leaves the YAML: prune deletes it, 10% > maxDeletePercent 5.
    edit(
        estate / "customers" / "thames-architects.yaml",
        lambda doc: doc.update(users=[u for u in doc["users"] if "harry" not in u["email"]]),
    )
    code, _, err = reconciler("apply", str(estate), "--sandbox", str(db), "--yes", *scope)
    assert code == 3
    assert "maxDeletePercent" in err
    assert any(s["email"].startswith("harry") for s in dump(db)["subscribers"])
    code, out, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), "--yes", "--force", *scope
    )
    assert code == 0, out + err
    assert "--force: applying it" in err
    assert not any(s["email"].startswith("harry") for s in dump(db)["subscribers"])


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_line_per_change_in_logs_and_a_bar_on_a_terminal() -> None:
    from reconciler.apply import ChangeResult
    from reconciler.cli.apply import ApplyProgress

    results = [
        ChangeResult("customer/a", "create", "customer", "done", "created"),
        ChangeResult("customer/b", "create", "customer", "failed", "HTTP 409"),
        ChangeResult("location/b/HQ", "create", "location", "skipped", "not attempted"),
    ]
    log = io.StringIO()
    progress = ApplyProgress(log)
    for n, result in enumerate(results, 1):
        progress(result, n, 3)
    progress.done()
    assert log.getvalue().splitlines() == [
        "[1/3] done    create customer/a (created)",
        "[2/3] failed  create customer/b (HTTP 409)",
        "[3/3] skipped create location/b/HQ (not attempted)",
    ]
    tty = FakeTty()
    bar = ApplyProgress(tty)
    for n, result in enumerate(results, 1):
        bar(result, n, 3)
    bar.done()
    text = tty.getvalue()
    assert text.count("\r") == 3
    assert "3/3  done 1  failed 1  skipped 1" in text
    assert text.endswith("\n")
