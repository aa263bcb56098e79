"""The GitHub Action and workflows shipped for desired-state repositories hold their promises."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


def test_action_is_composite_and_installs_the_tool() -> None:
    action = load(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "directory", "args"}
    run = "\n".join(s.get("run", "") for s in action["runs"]["steps"])
    assert "pip install" in run
    assert "reconciler $COMMAND" in run


def test_plan_runs_on_pull_requests_touching_desired_state_with_read_scopes_only() -> None:
    wf = load(WORKFLOWS / "plan.yml")
    assert wf["on"]["pull_request"]["paths"] == ["desired-state/**"]
    assert wf["permissions"]["contents"] == "read"
    plan = next(s for s in steps(wf) if s.get("id") == "plan")
    assert "--changed-since" in plan["with"]["args"]
    assert "--out plan.json" in plan["with"]["args"]
    assert "READ_TOKEN" in plan["env"]["WEBEX_TOKEN"]
    bodies = "\n".join(s.get("with", {}).get("script", "") for s in steps(wf))
    assert "updateComment" in bodies, "the plan comment is edited in place"
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps(wf))


def test_apply_runs_one_at_a_time_and_is_never_cancelled() -> None:
    wf = load(WORKFLOWS / "apply.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["concurrency"]["cancel-in-progress"] is False
    apply = next(s for s in steps(wf) if s.get("id") == "apply")
    assert "--yes" in apply["with"]["args"]
    assert "--checksum" in apply["with"]["args"]
    assert "--journal" in apply["with"]["args"]


def test_drift_is_nightly_with_detailed_exit_code() -> None:
    wf = load(WORKFLOWS / "drift.yml")
    assert wf["on"]["schedule"]
    plan = next(s for s in steps(wf) if s.get("id") == "plan")
    assert "--detailed-exitcode" in plan["with"]["args"]


def test_third_party_actions_are_pinned_to_commits() -> None:
    for path in [*WORKFLOWS.glob("*.yml"), ROOT / "action.yml"]:
        text = load(path)
        all_steps = text["runs"]["steps"] if "runs" in text else steps(text)
        for step in all_steps:
            uses = step.get("uses", "")
            if uses and not uses.startswith("./"):
                ref = uses.split("@", 1)[1]
                assert len(ref) == 40, f"{path.name}: {uses} is not pinned to a commit"


def test_tests_workflow_runs_the_ci_script() -> None:
    wf = load(WORKFLOWS / "tests.yml")
    assert any(s.get("run") == "bash .ci/run" for s in steps(wf))


def test_workflows_pass_a_security_audit() -> None:
    # zizmor comes with the test extra; look beside the interpreter first (a venv not on PATH).
    beside = Path(sys.executable).parent / "zizmor"
    zizmor = str(beside) if beside.exists() else shutil.which("zizmor")
    assert zizmor, "zizmor is part of the test extra"
    result = subprocess.run(
        [
            zizmor,
            "--offline",
            "--min-severity",
            "medium",
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
