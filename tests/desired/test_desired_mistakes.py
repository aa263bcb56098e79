"""Through the CLI: every mistake of a directory in one run, the empty desired state, and the
package rules Partner Hub enforces on a subscriber."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli

HERE = Path(__file__).resolve().parent
MISTAKES = HERE / "mistakes"
ENV = {"GITHUB_ACTIONS": "false", "RECONCILER_SANDBOX": None, "WEBEX_TOKEN": None}

#: (file below mistakes/, line, column, the start of the message); a document with a schema
#: problem still has its references and rules checked, and nothing is reported twice.
EXPECTED = [
    ("customers/acme.yaml", 3, 7, "name: 'Acme 100%' must not contain '%'"),
    ("customers/acme.yaml", 8, 15, "headquarters 'Dalas' is not a location of customer 'acme'"),
    ("customers/acme.yaml", 11, 27, "locations[0].announcementLanguage: 'english' must be a"),
    ("customers/acme.yaml", 12, 15, "unknown time zone 'America/Dalas'"),
    ("customers/acme.yaml", 15, 14, "locations[1].address.line1: longer than 50 characters"),
    ("customers/acme.yaml", 17, 16, "unknown country code 'UX'"),
    ("customers/acme.yaml", 20, 14, "user 'ann@acme.example' is a Full Administrator but package"),
    ("customers/acme.yaml", 21, 16, "users[0].extension: '1' must be 2 to 10 digits"),
    ("customers/acme.yaml", 25, 18, "users[1].phoneNumber: '(214) 555-0101' must be an E.164"),
    ("customers/acme.yaml", 26, 15, "unknown location 'Austn' of customer 'acme'"),
    ("customers/globex.yaml", 5, 11, "unknown template 'premium'"),
    ("customers/globex.yaml", 7, 1, "unknown field 'phone'"),
    ("customers/hooli.yaml", 4, 13, "adminEmail: 'admin@hooli' is not an email address"),
    ("customers/hooli.yaml", 6, 11, "package 'attendant_console' needs one of: webex_calling,"),
    ("settings.yaml", 2, 14, "concurrency: 0 is less than the minimum of 1"),
    ("settings.yaml", 4, 1, "a second Settings document: the first is at"),
    ("templates.yaml", 11, 17, "provisioningId: must not be empty"),
    ("templates.yaml", 15, 13, "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)"),
    ("users/bob-again.yaml", 3, 8, "duplicate user 'bob@acme.example' of customer 'acme'"),
    ("users/bob-again.yaml", 5, 12, "extension: '12345678901' must be 2 to 10 digits"),
    ("users/dave.yaml", 4, 10, "user 'dave@acme.example' has package 'webex_voice', which"),
    ("users/dave.yaml", 6, 1, "unknown field 'title'"),
]


def validate(directory: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", str(directory)], env=ENV)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_every_mistake_is_reported_in_one_run_once_at_its_place() -> None:
    code, out, err = validate(MISTAKES)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == len(EXPECTED), out
    for line, (file, row, col, message) in zip(lines, EXPECTED, strict=True):
        assert line.startswith(f"{MISTAKES / file}:{row}:{col}: {message}"), (line, message)
    assert err == f"{len(EXPECTED)} problems in 7 files\n"


def test_a_reference_to_an_object_with_a_problem_is_not_a_second_problem() -> None:
    _, out, _ = validate(MISTAKES)
    # globex's template is unknown, so its packages are: carl's package is not judged;
    # bob's unreadable phone number is not "neither phoneNumber nor extension"; ann sits at the
    # (unknown) headquarters 'Dalas' without a second complaint about it.
    assert "carl@globex.example" not in out
    assert "neither phoneNumber nor extension" not in out
    assert out.count("'Dalas'") == 1


# --- the empty desired state -------------------------------------------------------------------


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    code, out, err = validate(tmp_path)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: no objects found under {tmp_path} (0 YAML files;")


def test_a_directory_without_yaml_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("customers go here\n")
    (tmp_path / "customers").mkdir()
    code, _, err = validate(tmp_path)
    assert code == 1
    assert err.startswith(f"error: no objects found under {tmp_path} ")


def test_a_settings_document_alone_is_still_empty(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("kind: Settings\nprune: true\n")
    code, _, err = validate(tmp_path)
    assert code == 1
    assert err.startswith(f"error: no objects found under {tmp_path} (1 YAML file;")
    assert "allowEmpty: true" in err


def test_allow_empty_accepts_an_empty_desired_state(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("kind: Settings\nallowEmpty: true\n")
    code, out, _ = validate(tmp_path)
    assert code == 0
    assert out.startswith(f"{tmp_path}: valid: 0 templates, 0 customers")


def test_allow_empty_must_be_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("kind: Settings\nallowEmpty: yes\n")
    code, out, _ = validate(tmp_path)
    assert code == 1
    assert (
        out == f"{tmp_path / 'settings.yaml'}:2:13: allowEmpty: expected true or false, got 'yes'\n"
    )


def test_problems_are_reported_rather_than_emptiness(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("kind: Customer\nexternalId: [\n")
    code, out, err = validate(tmp_path)
    assert code == 1
    assert "YAML syntax error" in out
    assert "no objects found" not in err


@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_plan_and_apply_refuse_an_empty_directory_before_connecting(
    tmp_path: Path, verb: str
) -> None:
    estate = tmp_path / "estate"
    estate.mkdir()
    args = [verb, str(estate), "--sandbox", str(tmp_path / "sandbox.sqlite")]
    args += ["--yes"] if verb == "apply" else []
    result = CliRunner().invoke(cli, args, env=ENV)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: no objects found under {estate} ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "sandbox.sqlite").exists()


# --- package rules of a subscriber ---------------------------------------------------------------


def estate(tmp_path: Path, packages: list[str], users: list[dict[str, Any]]) -> Path:
    root = tmp_path / "estate"
    root.mkdir(parents=True)
    template = {
        "kind": "Template",
        "name": "basic",
        "provisioningId": "prov-basic",
        "defaults": {"packages": packages, "country": "US", "timeZone": "America/Chicago"},
    }
    customer = {
        "kind": "Customer",
        "externalId": "acme",
        "name": "Acme",
        "adminEmail": "admin@acme.example",
        "template": "basic",
        "address": {"line1": "1 Main Street", "city": "Dallas", "state": "TX"},
        "headquarters": "Dallas",
        "locations": [{"name": "Dallas"}],
    }
    (root / "templates.yaml").write_text(yaml.safe_dump(template))
    (root / "acme.yaml").write_text(yaml.safe_dump(customer, sort_keys=False))
    users_text = "".join(
        "---\n" + yaml.safe_dump({"kind": "User", "customer": "acme", **u}, sort_keys=False)
        for u in users
    )
    (root / "users.yaml").write_text(users_text)
    return root


def test_a_user_package_the_customer_does_not_hold_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    users = [
        {"email": "a@acme.example", "package": "webex_calling", "extension": "1001"},
        {"email": "b@acme.example", "package": "webex_suite", "extension": "1002"},
    ]
    root = estate(tmp_path, ["webex_calling"], users)
    code, out, _ = validate(root)
    assert code == 1
    assert out == (
        f"{root / 'users.yaml'}:11:10: user 'b@acme.example' has package 'webex_suite', which "
        "customer 'acme' does not hold (webex_calling); Partner Hub refuses it\n"
    )


def test_the_customer_packages_come_from_the_template_defaults(tmp_path: Path) -> None:
    users = [{"email": "b@acme.example", "package": "webex_suite", "extension": "1002"}]
    root = estate(tmp_path, ["webex_calling", "webex_suite"], users)
    code, out, _ = validate(root)
    assert (code, out.split(":")[0]) == (0, str(root))


def test_attendant_console_needs_a_calling_package_on_the_customer(tmp_path: Path) -> None:
    users = [{"email": "op@acme.example", "package": "attendant_console", "extension": "1003"}]
    root = estate(tmp_path, ["attendant_console", "webex_voice"], users)
    code, out, _ = validate(root)
    assert code == 1
    assert out == (
        f"{root / 'acme.yaml'}:5:11: package 'attendant_console' needs one of: webex_calling, "
        "webex_suite, cx_essentials (from template 'basic')\n"
    )
    root2 = estate(tmp_path / "ok", ["attendant_console", "webex_calling"], users)
    assert validate(root2)[0] == 0


@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_plan_and_apply_stop_at_a_package_the_customer_does_not_hold(
    tmp_path: Path, verb: str
) -> None:
    users = [{"email": "b@acme.example", "package": "webex_suite", "extension": "1002"}]
    root = estate(tmp_path, ["webex_calling"], users)
    db = tmp_path / "sandbox.sqlite"
    args = [verb, str(root), "--sandbox", str(db), *(["--yes"] if verb == "apply" else [])]
    result = CliRunner().invoke(cli, args, env=ENV)
    assert result.exit_code == 1, result.output
    assert f"{root / 'users.yaml'}:5:10: user 'b@acme.example' has package 'webex_suite'" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert not db.exists()  # refused before anything was read or written
