"""The hostile estate through the CLI inside a GitHub Actions job (``GITHUB_ACTIONS=true``):
``validate``'s problems and annotations (a file name with a newline among them), and the plan
printed by ``plan`` and ``apply``. No line of any output starts a workflow command but the
tool's own (its annotations, and the ``actions_log`` wrapper around a printed plan), and no
control character reaches the log."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from test_render_hostile import ESTATE, seed

from reconciler.cli import cli
from reconciler.plan import Plan
from reconciler.safetext import actions_log

ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "NO_COLOR": "1",
    "GITHUB_ACTIONS": "true",
}
ANNOTATION = re.compile(r"::error file=[^,:\n]*,line=\d+,col=\d+::[^\n]*")
WRAPPED = re.compile(r"::stop-commands::([0-9a-f]{32})\n(.*)::\1::\n", re.DOTALL)
BAD_FILE = "bad\n::error file=README.md,line=1::FORGED\r.yaml"
BAD_YAML = """kind: Customer
externalId: "z\\n::add-mask::Plan\\e]52;c;SGVsbG8=\\a"
name: "::stop-commands::t"
template: "##[error]no such template"
"::warning::KEY\\e[2K": 1
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def assert_log_safe(text: str, *, own: re.Pattern[str] | None = None) -> None:
    """No line starts a workflow command (but ``own``'s), none has ``##[`` or a control
    character."""
    for line in text.split("\n"):
        if line.strip().startswith("::"):
            assert own is not None, line[:200]
            assert own.fullmatch(line), line[:200]
        assert "##[" not in line, line[:200]
        assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in line), line[:200]


def unwrap(stdout: str) -> tuple[str, str]:
    """The plan inside the ``actions_log`` wrapper, and what follows it."""
    found = WRAPPED.match(stdout)
    assert found is not None, stdout[:300]
    token, body = found.group(1), found.group(2)
    assert token not in body
    return body, stdout[found.end() :]


def test_validate_annotates_each_problem_with_its_own_escaped_workflow_command(
    tmp_path: Path,
) -> None:
    estate = tmp_path / "estate"
    shutil.copytree(ESTATE, estate)
    (estate / BAD_FILE).write_text(BAD_YAML, encoding="utf-8")
    code, out, err = run("validate", str(estate))
    assert code == 1
    annotations = [line for line in out.split("\n") if line.startswith("::")]
    problems = [line for line in out.split("\n") if line and not line.startswith("::")]
    assert len(annotations) == len(problems) >= 2
    assert_log_safe(out, own=ANNOTATION)
    assert_log_safe(err)
    # The file name is one escaped property: its newline as the toolkit escapes it, a
    # carriage return shown, its ':' and ',' escaped: it cannot end the property or a line.
    bad = [a for a in annotations if "bad" in a]
    assert bad
    assert all(
        "/bad%0A%3A%3Aerror file=README.md%2Cline=1%3A%3AFORGED\\x0d.yaml,line=" in a for a in bad
    ), bad
    assert any(p.endswith("unknown field '::warning::KEY\\x1b[2K'") for p in problems), problems


def test_validate_shows_a_hostile_directory_name_on_one_safe_line(tmp_path: Path) -> None:
    estate = tmp_path / "estate\n::error::FORGED\x1b[2K"
    shutil.copytree(ESTATE, estate)
    code, out, err = run("validate", str(estate))
    assert code == 0, out + err
    [line] = out.splitlines()
    assert "estate\\x0a::error::FORGED\\x1b[2K: valid: " in line
    assert_log_safe(out)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("hostile-actions") / "sandbox.sqlite")
    asyncio.run(seed(path))
    return path


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_plan_in_actions_is_wrapped_so_no_line_is_a_command(db: str, fmt: str) -> None:
    code, out, err = run("plan", str(ESTATE), "--sandbox", db, "--format", fmt, "--force")
    assert code == 0, err
    body, rest = unwrap(out)
    assert rest == ""
    # Inside, the data still holds lines a log would take for commands in the JSON form:
    # exactly what the wrapper is for; the text form shows them escaped as well.
    if fmt == "json":
        assert Plan.from_json(body).changes
    else:
        assert_log_safe(body)
    assert_log_safe(err)


def test_markdown_plan_in_actions_is_a_document_with_no_command_line(db: str) -> None:
    code, out, _ = run("plan", str(ESTATE), "--sandbox", db, "--format", "markdown", "--force")
    assert code == 0
    assert "::stop-commands::" not in out.split("\n")[0]
    assert_log_safe(out)


def test_apply_in_actions_wraps_the_plan_and_keeps_its_table_and_stderr_safe(
    tmp_path: Path, db: str
) -> None:
    copy = tmp_path / "sandbox.sqlite"
    shutil.copy(db, copy)
    code, out, err = run("apply", str(ESTATE), "--sandbox", str(copy), "--yes", "--force")
    assert code in (0, 1), out + err
    body, table = unwrap(out)
    assert "customer/" in body
    assert "total" in table
    assert_log_safe(body)
    assert_log_safe(table)
    assert_log_safe(err)


ROOT = Path(__file__).resolve().parents[2]


def workflow_step(path: Path, name: str) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = data["runs"]["steps"] if "runs" in data else data["jobs"]["apply"]["steps"]
    found: dict[str, Any] = next(s for s in steps if s.get("id") == name or s.get("name") == name)
    return found


@pytest.mark.skipif(sys.platform == "win32", reason="the action's steps run in bash")
def test_the_action_s_log_of_a_hostile_plan_has_no_command_outside_the_wrapper(
    tmp_path: Path, db: str
) -> None:
    copy = tmp_path / "sandbox.sqlite"
    shutil.copy(db, copy)
    output = tmp_path / "output"
    output.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBEX_", "RECONCILER_"))}
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "COMMAND": "plan",
        "DIRECTORY": str(ESTATE),
        "ARGS": f"--sandbox {copy} --force",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_RUN_ID": "7",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ACTIONS": "true",
        "PYTHONUNBUFFERED": "1",
    }
    script = workflow_step(ROOT / "action.yml", "run")["run"]
    done = subprocess.run(
        ["bash", "-e", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    body, rest = unwrap(done.stdout)
    assert rest == ""
    assert_log_safe(body)
    assert_log_safe(done.stderr)


@pytest.mark.skipif(sys.platform == "win32", reason="the workflow's steps run in bash")
def test_the_apply_summary_drops_the_wrapper_and_fences_a_backtick_name(tmp_path: Path) -> None:
    out = tmp_path / "apply.out"
    out.write_text(actions_log("+ location/acme/x`````y </details>\n") + "total 1\n")
    summary = tmp_path / "summary.md"
    env = os.environ | {"OUT": str(out), "PULLS": "7", "GITHUB_STEP_SUMMARY": str(summary)}
    step = workflow_step(
        ROOT / ".github" / "workflows" / "apply.yml", "Job summary (done / failed / skipped)"
    )
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert summary.read_text() == (
        "### reconciler apply\nReviewed plans of pull requests: 7\n``````text\n"
        "+ location/acme/x`````y </details>\ntotal 1\n``````\n"
    )
