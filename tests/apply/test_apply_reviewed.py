"""``reconciler apply --reviewed FILE``: the fresh plan runs only when reviewed plans cover every
change; nothing is written otherwise; a re-run after everything is live exits 0 with "nothing
left to apply"; the options it cannot be combined with and files that are not plans are one
clear message each. And the credentials rule, through the CLI: a token and a grant both set is a
usage error naming them."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from admin_client import sandbox_admin
from apply_helpers import FakeClock, fake_runtime
from click.testing import CliRunner

from reconciler.cli import Runtime, cli
from reconciler.workflow.connect import SandboxTarget

ESTATE = Path(__file__).resolve().parents[2] / "desired-state"

CLEAN_ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "WEBEX_CLIENT_ID": None,
    "WEBEX_CLIENT_SECRET": None,
    "WEBEX_REFRESH_TOKEN": None,
    "NO_COLOR": "1",
}
RUNTIME = Runtime()
ACME = "KSR-70211"
OTHER = "MGA-30552"

#: The example's integrated PSTN provider, for the in-process sandbox.
PROVIDERS = (
    "--sandbox-providers",
    str(Path(__file__).resolve().parents[2] / "sandbox-providers.yaml"),
)


@pytest.fixture(autouse=True)
def on_fake_clock(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "RUNTIME", fake_runtime(clock))


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    return copy


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.sqlite"


def dump(db: Path) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with RUNTIME.seams.connect(SandboxTarget(db=str(db)), read_only=True) as client:
            data = await sandbox_admin(client, "GET", "/dump")
            assert isinstance(data, dict)
            return data

    return asyncio.run(go())


def reconciler(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=CLEAN_ENV | (env or {}), obj=RUNTIME)
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def plan_file(estate: Path, db: Path, out: Path, *scope: str) -> dict[str, Any]:
    code, _, err = reconciler("plan", str(estate), "--sandbox", str(db), *scope, "--out", str(out))
    assert code == 0, err
    data = json.loads(out.read_text())
    assert isinstance(data, dict)
    return data


def test_reviewed_plans_are_applied_and_a_re_run_has_nothing_left(
    estate: Path, db: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    plan_file(estate, db, first, "--customer", ACME)
    others = tmp_path / "others.json"
    everything = plan_file(estate, db, tmp_path / "all.json")
    rest = sorted({c["address"].split("/")[1] for c in everything["changes"]} - {ACME})
    plan_file(estate, db, others, *[a for ext in rest for a in ("--customer", ext)])
    reviewed = ["--reviewed", str(first), "--reviewed", str(others)]
    # No --customer/--changed-since: the union of the reviewed plans' scopes.
    code, out, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), *PROVIDERS, "--yes", *reviewed
    )
    assert code == 0, out + err
    assert "total" in out
    code, _, _ = reconciler("plan", str(estate), "--sandbox", str(db), "--detailed-exitcode")
    assert code == 0, "everything reviewed is live"
    journal = tmp_path / "journal.jsonl"
    code, out, err = reconciler(
        "apply",
        str(estate),
        "--sandbox",
        str(db),
        *PROVIDERS,
        "--yes",
        *reviewed,
        "--journal",
        str(journal),
    )
    assert code == 0, out + err
    assert out == "nothing left to apply: every reviewed change is live\n"
    assert journal.read_text() == ""


def test_an_unreviewed_change_refuses_the_whole_run_before_any_write(
    estate: Path, db: Path, tmp_path: Path
) -> None:
    reviewed = tmp_path / "reviewed.json"
    plan_file(estate, db, reviewed, "--customer", ACME)
    before = dump(db)
    journal = tmp_path / "journal.jsonl"
    # The reviewed plan covers one customer; the fresh plan of two has the other's creates.
    code, out, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), *PROVIDERS, "--yes", "--customer", ACME,
        "--customer", OTHER, "--reviewed", str(reviewed), "--journal", str(journal),
    )  # fmt: skip
    assert code == 1, out + err
    lines = err.splitlines()
    assert lines[0].startswith("error: ")
    assert lines[0].endswith("change(s) in the fresh plan were not reviewed; nothing was applied:")
    assert all(line.startswith("  create ") for line in lines[1:]), err
    assert any(OTHER in line for line in lines[1:])
    assert not any(ACME in line for line in lines[1:])
    assert dump(db) == before
    assert journal.read_text() == ""


def test_a_field_changed_since_review_is_named(estate: Path, db: Path, tmp_path: Path) -> None:
    reviewed = tmp_path / "reviewed.json"
    data = plan_file(estate, db, reviewed, "--customer", ACME)
    customer = next(c for c in estate.rglob("*.yaml") if f"externalId: {ACME}" in c.read_text())
    text = customer.read_text()
    name = next(line for line in text.splitlines() if line.startswith("name: "))
    customer.write_text(text.replace(name, "name: Renamed Since Review", 1))
    code, _, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), *PROVIDERS, "--yes", "--reviewed", str(reviewed)
    )
    assert code == 1
    assert f'create customer/{ACME}: name -> "Renamed Since Review", reviewed ' in err
    assert data["scope"] == [ACME]


@pytest.mark.parametrize("other", [["--checksum", "abc"], ["--plan", "PLAN"]])
def test_reviewed_with_plan_or_checksum_is_a_usage_error(
    estate: Path, db: Path, tmp_path: Path, other: list[str]
) -> None:
    reviewed = tmp_path / "reviewed.json"
    plan_file(estate, db, reviewed, "--customer", ACME)
    other = [str(reviewed) if a == "PLAN" else a for a in other]
    code, _, err = reconciler(
        "apply",
        str(estate),
        "--sandbox",
        str(db),
        *PROVIDERS,
        "--yes",
        "--reviewed",
        str(reviewed),
        *other,
    )
    assert code == 64
    assert err == "error: --reviewed cannot be combined with --plan or --checksum\n"


def test_a_reviewed_file_that_is_missing_or_not_a_plan_is_one_message(
    estate: Path, db: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    code, _, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), *PROVIDERS, "--yes", "--reviewed", str(missing)
    )
    assert code == 1
    assert err.startswith(f"error: cannot read the plan {missing}: ")
    assert len(err.splitlines()) == 1
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"changes": 5}')
    code, _, err = reconciler(
        "apply", str(estate), "--sandbox", str(db), *PROVIDERS, "--yes", "--reviewed", str(garbage)
    )
    assert code == 1
    assert err.startswith("error: ")
    assert len(err.splitlines()) == 1
    assert not db.exists() or dump(db)["customers"] == []


def test_a_token_and_a_grant_both_set_is_a_usage_error_naming_them(estate: Path) -> None:
    secret = "tok-4f1e9a2b7c"
    env: dict[str, str | None] = {
        "WEBEX_TOKEN": secret,
        "WEBEX_CLIENT_ID": "cid",
        "WEBEX_CLIENT_SECRET": "csecret",
        "WEBEX_REFRESH_TOKEN": "rtok",
    }
    for command in (["plan"], ["apply", "--yes"]):
        code, out, err = reconciler(*command, str(estate), env=env)
        assert code == 64, out + err
        assert err == (
            "error: both WEBEX_TOKEN and the refresh grant (WEBEX_CLIENT_ID, WEBEX_CLIENT_SECRET, "
            "WEBEX_REFRESH_TOKEN) are set; set only one\n"
        )
        assert secret not in out + err
    # Unset GitHub secrets arrive as empty strings: a token with an empty grant is a token.
    empty = {"WEBEX_CLIENT_ID": "", "WEBEX_CLIENT_SECRET": "", "WEBEX_REFRESH_TOKEN": ""}
    code, out, err = reconciler(
        "plan", str(estate), "--api-url", "http://127.0.0.1:9/v1",
        env={"WEBEX_TOKEN": secret, **empty},
    )  # fmt: skip
    assert code == 1, out + err
    assert "set only one" not in err
    assert secret not in out + err
