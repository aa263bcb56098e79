"""The GitHub Action and workflows shipped for desired-state repositories hold their promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from reconciler.merged import ARTIFACT_PREFIX
from reconciler.reviewed import MARKER

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / f"{name}.yml")


def steps(wf: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in wf["jobs"].values() for s in job["steps"]]


def step(wf: dict[str, Any], id: str) -> dict[str, Any]:
    return next(s for s in steps(wf) if s.get("id") == id)


def scripts(wf: dict[str, Any]) -> str:
    return "\n".join(s.get("with", {}).get("script", "") for s in steps(wf))


def secrets_of(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job)))


# -- the action ------------------------------------------------------------------------------


def test_action_is_composite_and_installs_the_tool_with_pinned_dependencies() -> None:
    action = load(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "directory", "args"}
    run = "\n".join(s.get("run", "") for s in action["runs"]["steps"])
    assert '--constraint "$ACTION_PATH/constraints.txt"' in run
    assert "reconciler $COMMAND" in run
    cache = next(
        s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/cache")
    )
    assert cache["with"]["path"] == "~/.cache/pip"
    assert "steps.ready.outputs.constraints" in cache["with"]["key"], "keyed on the pins"


def constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            assert canonicalize_name(name) not in pins, f"constraints.txt: {name} twice"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_is_pinned_in_the_constraints_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = constraints()
    for text in project["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"constraints.txt does not pin {req.name} (pyproject: {text})"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {req.name}=={pins[name]}, outside pyproject's {text}"
        )


def test_the_constraints_pin_the_dependencies_of_the_dependencies() -> None:
    # Read from what is installed here: each pinned package installed at its pinned version
    # must have its own runtime requirements pinned too, so the set is closed.
    import importlib.metadata as md

    pins = constraints()
    for name, version in pins.items():
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        if dist.version != version:
            continue
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            assert canonicalize_name(req.name) in pins, f"{name} needs {req.name}: not pinned"


def action_script() -> str:
    action = load(ROOT / "action.yml")
    run = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    assert run["env"]["PYTHONUNBUFFERED"] == "1"
    return str(run["run"])


@pytest.mark.skipif(sys.platform == "win32", reason="the action's steps run in bash")
def test_the_action_streams_output_while_the_command_runs(tmp_path: Path) -> None:
    # A stand-in `reconciler` that prints a line, then waits until the test has seen it.
    release = tmp_path / "release"
    fake = tmp_path / "bin" / "reconciler"
    fake.parent.mkdir()
    fake.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, time\n"
        "print('planning', ' '.join(sys.argv[1:]))\n"
        f"while not os.path.exists({str(release)!r}):\n"
        "    time.sleep(0.01)\n"
        "print('done')\n"
        "sys.exit(int(os.environ.get('FAKE_EXIT', '0')))\n"
    )
    fake.chmod(0o755)

    def run(code: str) -> tuple[list[str], int, dict[str, str]]:
        release.unlink(missing_ok=True)
        output = tmp_path / "output"
        output.write_text("")
        env = os.environ | {
            "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
            "COMMAND": "plan",
            "DIRECTORY": "desired-state",
            "ARGS": "--out plan.json",
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_RUN_ID": "7",
            "GITHUB_OUTPUT": str(output),
            "PYTHONUNBUFFERED": "1",
            "FAKE_EXIT": code,
        }
        with subprocess.Popen(
            ["bash", "-e", "-c", action_script()], env=env, stdout=subprocess.PIPE, text=True
        ) as proc:
            assert proc.stdout is not None
            seen = []
            timer = threading.Timer(60, proc.kill)  # a held-back line would block here for good
            timer.start()
            try:
                seen.append(proc.stdout.readline())
                release.touch()  # only now may the command finish
                seen.extend(proc.stdout)
                returncode = proc.wait()
            finally:
                timer.cancel()
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
        return seen, returncode, outputs

    seen, returncode, outputs = run("2")
    assert seen == ["planning plan desired-state --out plan.json\n", "done\n"]
    assert returncode == 0, "2 (changes present) is not a failure"
    assert outputs["exit-code"] == "2"
    assert Path(outputs["stdout-file"]).read_text() == "".join(seen)
    _, returncode, outputs = run("1")
    assert returncode == 1
    assert outputs["exit-code"] == "1"


# -- plan ------------------------------------------------------------------------------------


def test_plan_can_be_a_required_check() -> None:
    wf = workflow("plan")
    assert set(wf["on"]) == {"pull_request", "merge_group"}
    assert wf["on"]["pull_request"] is None, "no paths: filter; the job decides"
    run = "\n".join(s.get("run", "") for s in steps(wf))
    assert "nothing to plan" in run
    assert step(wf, "scope")["with"]["command"] == "review scope"


def test_plan_uses_read_only_credentials_in_their_own_environment() -> None:
    wf = workflow("plan")
    [job] = wf["jobs"].values()
    assert wf["permissions"] == {}
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert job["environment"] == "webex-read"
    assert secrets_of(job) == {
        "WEBEX_READ_TOKEN",
        "WEBEX_READ_CLIENT_ID",
        "WEBEX_READ_CLIENT_SECRET",
        "WEBEX_READ_REFRESH_TOKEN",
    }
    plan = step(wf, "plan")
    assert "${{ steps.decided.outputs.args }}" in plan["with"]["args"]
    assert "--out plan.json" in plan["with"]["args"]


def test_plan_keeps_one_comment_of_its_own_with_head_run_and_time() -> None:
    body = scripts(workflow("plan"))
    assert "updateComment" in body
    assert "github-actions[bot]" in body, "only the bot's own comment is edited"
    assert "head.sha" in body
    assert "actions/runs/${context.runId}" in body
    assert "toISOString" in body
    assert "VALIDATE_OUT" in body, "validation problems replace a stale plan"


def test_plan_uploads_the_reviewed_plan_under_the_name_apply_looks_for() -> None:
    wf = workflow("plan")
    upload = next(s for s in steps(wf) if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == ARTIFACT_PREFIX + "${{ github.event.pull_request.number }}"
    assert upload["with"]["path"] == "plan.json"
    assert "exit-code == '0'" in upload["if"], "only a successful plan is a reviewed plan"


def test_fork_pull_requests_get_one_line_not_a_failure() -> None:
    wf = workflow("plan")
    fork = step(wf, "fork")
    assert "head.repo.full_name != github.repository" in fork["if"]
    assert "no credentials for forks" in fork["run"]
    for later in steps(wf)[1:]:
        condition = later.get("if", "")
        assert "steps.fork.outputs.skip != 'true'" in condition or "steps." in condition


# -- apply -----------------------------------------------------------------------------------


def test_apply_runs_one_at_a_time_never_cancelled_on_main_in_production() -> None:
    wf = workflow("apply")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["concurrency"]["cancel-in-progress"] is False
    [job] = wf["jobs"].values()
    assert job["environment"] == "production"
    assert wf["permissions"] == {}
    assert job["permissions"] == {
        "contents": "write",
        "actions": "read",
        "pull-requests": "read",
        "issues": "write",
    }
    assert secrets_of(job) == {
        "WEBEX_TOKEN",
        "WEBEX_CLIENT_ID",
        "WEBEX_CLIENT_SECRET",
        "WEBEX_REFRESH_TOKEN",
    }


def test_apply_checks_every_merged_change_against_its_reviewed_plan() -> None:
    wf = workflow("apply")
    assert step(wf, "find")["with"]["command"] == "review find"
    apply = step(wf, "apply")
    assert "--yes" in apply["with"]["args"]
    assert "--journal" in apply["with"]["args"]
    assert "${{ steps.reviewed.outputs.args }}" in apply["with"]["args"]
    assert "steps.reviewed.outputs.apply == 'true'" in apply["if"]


def test_a_manual_apply_needs_the_explicit_input() -> None:
    wf = workflow("apply")
    inputs = wf["on"]["workflow_dispatch"]["inputs"]
    assert inputs["unreviewed-full-apply"]["type"] == "boolean"
    assert inputs["unreviewed-full-apply"]["default"] is False
    assert "inputs.unreviewed-full-apply" in step(wf, "apply")["if"]
    guard = steps(wf)[0]
    assert "!inputs.unreviewed-full-apply" in guard["if"]
    assert "exit 64" in guard["run"]


def test_apply_moves_the_marker_only_after_a_clean_apply() -> None:
    wf = workflow("apply")
    move = next(s for s in steps(wf) if s.get("name") == "Move the last-applied marker")
    assert move["if"] == "steps.apply.outputs.exit-code == '0'"
    assert f"refs/tags/{MARKER}" in move["run"]


def test_apply_writes_the_summary_and_one_labelled_failure_issue() -> None:
    wf = workflow("apply")
    summary = next(s for s in steps(wf) if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert "steps.apply.outputs.stdout-file" in summary["env"]["OUT"]
    body = scripts(wf)
    assert "labels: label" in body
    assert "'reconciler-apply-failed'" in body
    assert "createComment" in body, "a re-run adds to the open issue"
    assert "state: 'closed'" in body, "the next clean apply closes it"


# -- drift -----------------------------------------------------------------------------------


def test_drift_is_nightly_read_only_and_closes_its_issue() -> None:
    wf = workflow("drift")
    assert wf["on"]["schedule"]
    [job] = wf["jobs"].values()
    assert job["environment"] == "webex-read"
    assert all(name.startswith("WEBEX_READ_") for name in secrets_of(job))
    assert len(secrets_of(job)) == 4, "a token or the refresh-grant trio"
    assert "--detailed-exitcode" in step(wf, "plan")["with"]["args"]
    body = scripts(wf)
    assert "state: 'closed'" in body
    assert "drift check failed" in body, "an errored run reports too"


# -- all -------------------------------------------------------------------------------------


def test_write_credentials_only_in_the_production_environment() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        for name, job in load(path)["jobs"].items():
            webex = {s for s in secrets_of(job) if s.startswith("WEBEX_")}
            if any(not s.startswith("WEBEX_READ_") for s in webex):
                assert job.get("environment") == "production", f"{path.name}:{name}"
            elif webex:
                assert job.get("environment") == "webex-read", f"{path.name}:{name}"


@pytest.mark.parametrize("name", ["plan", "apply", "drift"])
def test_the_desired_state_cache_is_restored_before_the_tool_runs(name: str) -> None:
    wf = workflow(name)
    all_steps = steps(wf)
    caches = [s for s in all_steps if s.get("uses", "").startswith("actions/cache@")]
    assert len(caches) == 1, f"{name}: one cache step"
    [cache] = caches
    # where the tool keeps it by default: reconciler-cache in the checkout's git directory
    assert cache["with"]["path"] == ".git/reconciler-cache"
    key = cache["with"]["key"]
    assert "github.head_ref || github.ref_name" in key, "keyed by branch"
    assert key.endswith("${{ github.sha }}"), "and by commit: each run saves what it learnt"
    restore = cache["with"]["restore-keys"].splitlines()
    assert restore == [
        "reconciler-desired-${{ github.head_ref || github.ref_name }}-",
        "reconciler-desired-${{ github.event.repository.default_branch }}-",
    ]
    assert key.startswith(restore[0])
    at = all_steps.index(cache)
    checkout = next(i for i, s in enumerate(all_steps) if "actions/checkout@" in s.get("uses", ""))
    first_run = next(i for i, s in enumerate(all_steps) if s.get("uses") == "./")
    assert checkout < at < first_run, "restored into the checkout, before the first command"
    assert cache.get("if") == all_steps[checkout].get("if"), "skipped exactly when the checkout is"


def test_third_party_actions_are_pinned_to_commits() -> None:
    for path in [*WORKFLOWS.glob("*.yml"), ROOT / "action.yml"]:
        text = load(path)
        all_steps = text["runs"]["steps"] if "runs" in text else steps(text)
        for s in all_steps:
            uses = s.get("uses", "")
            if uses and not uses.startswith("./"):
                ref = uses.split("@", 1)[1]
                assert len(ref) == 40, f"{path.name}: {uses} is not pinned to a commit"


def test_tests_workflow_runs_the_ci_script_on_the_action_s_default_python() -> None:
    wf = workflow("tests")
    assert any(s.get("run") == "bash .ci/run" for s in steps(wf))
    default = load(ROOT / "action.yml")["inputs"]["python-version"]["default"]
    assert default in wf["jobs"]["tests"]["strategy"]["matrix"]["python-version"]


def test_workflows_pass_a_security_audit() -> None:
    # zizmor comes with the test extra; look beside the interpreter first (a venv not on PATH).
    beside = Path(sys.executable).parent / "zizmor"
    zizmor = str(beside) if beside.exists() else shutil.which("zizmor")
    assert zizmor, "zizmor is part of the test extra"
    result = subprocess.run(
        [
            zizmor,
            "--offline",
            "--persona",
            "auditor",
            "--strict-collection",
            "--quiet",
            ".github/workflows",
            "action.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
