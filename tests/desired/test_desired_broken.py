"""A directory with one mistake of each kind: one message per mistake, right file and line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.desired import check_directory

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"

#: (file below broken/, line, column, the start of the message)
EXPECTED = [
    ("api-version.yml", 1, 13, "unsupported apiVersion 'reconciler/v2'"),
    ("customers/bad-country.yaml", 9, 12, "unknown country code 'XX'"),
    ("customers/bad-package.yaml", 8, 5, "packages[1]: 'webex_meeting' is not one of: "),
    ("customers/dangling-template.yaml", 5, 11, "unknown template 'premium'"),
    ("customers/duplicate-key.yaml", 6, 1, "duplicate key 'name' (first given at line 3)"),
    ("customers/missing-field.yaml", 1, 1, "missing required field 'adminEmail'"),
    ("customers/no-headquarters.yaml", 2, 13, "customer 'no-headquarters' has calling package"),
    ("customers/package-rule.yaml", 6, 11, "package 'cisco_calling_plan' needs one of: "),
    ("customers/percent.yaml", 3, 7, "name: '100% Solutions' must not contain '%'"),
    ("customers/unknown-field.yaml", 7, 1, "unknown field 'phone'"),
    ("customers/wrong-type.yaml", 6, 11, "packages: expected a list, got 'webex_meetings'"),
    ("locations/bad-time-zone.yaml", 4, 11, "unknown time zone 'America/Houston'"),
    ("syntax-error.yaml", 3, 7, "YAML syntax error: while scanning a quoted scalar"),
    ("users/bad-phone.yaml", 5, 14, "phoneNumber: '(512) 555-0102' must be an E.164 number"),
    ("users/dangling-location.yaml", 6, 11, "unknown location 'Springfield' of customer 'good'"),
    ("users/duplicate-b.yaml", 3, 8, "duplicate user 'twin@good.example' of customer 'good'"),
    ("users/full-admin.yaml", 4, 10, "user 'boss@good.example' is a Full Administrator but"),
    (
        "users/no-number.yaml",
        3,
        8,
        "user 'caller@good.example' has calling package 'webex_calling'",
    ),
]


def test_one_problem_per_mistake_at_its_place() -> None:
    problems = check_directory(BROKEN).problems
    got = [
        (Path(p.file).relative_to(BROKEN).as_posix(), p.line, p.col, p.message) for p in problems
    ]
    assert len(got) == len(EXPECTED), "\n".join(map(str, problems))
    for (file, line, col, message), expected in zip(got, EXPECTED, strict=True):
        assert (file, line, col) == expected[:3]
        assert message.startswith(expected[3]), (message, expected[3])


def test_duplicate_email_cites_the_first_place() -> None:
    problems = check_directory(BROKEN).problems
    duplicate = next(p for p in problems if p.message.startswith("duplicate user"))
    assert duplicate.message.endswith(f"also declared at {BROKEN / 'users/duplicate-a.yaml'}:3:8")


def test_validate_command_prints_every_problem_and_exits_1() -> None:
    result = CliRunner().invoke(cli, ["validate", str(BROKEN)], env={"GITHUB_ACTIONS": "false"})
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXPECTED)
    for line, (file, row, col, message) in zip(lines, EXPECTED, strict=True):
        assert line.startswith(f"{BROKEN / file}:{row}:{col}: {message}")
    assert result.stderr == f"{len(EXPECTED)} problems in {len(EXPECTED)} files\n"
    assert "Traceback" not in result.output


def test_github_annotations() -> None:
    result = CliRunner().invoke(cli, ["validate", str(BROKEN)], env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == len(EXPECTED)
    file = str(BROKEN / "users/no-number.yaml").replace(":", "%3A").replace(",", "%2C")
    assert f"::error file={file},line=3,col=8::user 'caller@good.example' has calling" in (
        "\n".join(annotations)
    )


def test_python_dash_m_reports_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(BROKEN)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GITHUB_ACTIONS": "false"},
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert len(done.stdout.splitlines()) == len(EXPECTED)
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == f"{len(EXPECTED)} problems in {len(EXPECTED)} files"
