"""The README's "Use it from GitHub" section, followed from an empty repository: the files it
says to create exist and parse, and every name it gives (secrets, environments, the required
check, the marker tag, labels, the artifact) is the one the workflows use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.merged import ARTIFACT_PREFIX
from reconciler.reviewed import MARKER

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SECTION = README.split("## Use it from GitHub", 1)[1].split("\n## ", 1)[0]


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    if True in data:
        data["on"] = data.pop(True)
    return data


def secrets(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job)))


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """An empty repository after steps 1 and 2."""
    # 1. The YAML in desired-state/ (the README's format example).
    example = re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)[0]
    (tmp_path / "desired-state").mkdir()
    (tmp_path / "desired-state" / "estate.yaml").write_text(example)
    # 2. The three workflows, with `uses: ./` changed to the action's release.
    names = re.search(r"Copy `(\S+)`, `(\S+)` and `(\S+)` from `\.github/workflows/`", SECTION)
    assert names, "step 2 names the workflows to copy"
    uses = re.search(r"change each `uses: \./` to\s+`uses: ([^`]+)`", SECTION)
    assert uses, "step 2 says what `uses: ./` becomes"
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for name in names.groups():
        text = (ROOT / ".github" / "workflows" / name).read_text()
        (target / name).write_text(text.replace("uses: ./\n", f"uses: {uses[1]}\n"))
    return tmp_path


def workflows(repository: Path) -> dict[str, dict[str, Any]]:
    return {p.name: load(p) for p in sorted((repository / ".github" / "workflows").glob("*.yml"))}


def test_the_action_is_named_as_a_release_of_this_repository() -> None:
    assert "`owner/reconciler@v1`" in SECTION
    assert (ROOT / "action.yml").exists()
    assert "`vX.Y.Z`" in SECTION, "the tags policy"


def test_the_desired_state_validates(repository: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(repository / "desired-state")])
    assert result.exit_code == 0, result.output


def test_the_copied_workflows_parse_and_use_the_released_action(repository: Path) -> None:
    found = workflows(repository)
    assert set(found) == {"plan.yml", "apply.yml", "drift.yml"}
    for name, wf in found.items():
        text = (repository / ".github" / "workflows" / name).read_text()
        assert "uses: ./" not in text, name
        assert "uses: owner/reconciler@v1" in text, name
        assert wf["jobs"], name


def environment_table() -> dict[str, tuple[set[str], set[str]]]:
    """Environment → (workflows that use it, secret names), from the table in step 3."""
    rows = re.findall(r"^\s*\| `([\w-]+)` \| ([^|]+) \| ([^|]+) \|$", SECTION, flags=re.MULTILINE)
    assert rows, "step 3 has the table of environments"
    return {
        env: ({w.strip() for w in used.split(",")}, set(re.findall(r"`(WEBEX_\w+)`", names)))
        for env, used, names in rows
    }


def test_the_environments_and_secrets_are_the_ones_the_workflows_use(repository: Path) -> None:
    table = environment_table()
    used: dict[str, tuple[set[str], set[str]]] = {}
    for name, wf in workflows(repository).items():
        for job in wf["jobs"].values():
            env = job.get("environment")
            if env is None:
                assert not secrets(job), f"{name} uses secrets outside an environment"
                continue
            users, names = used.setdefault(env, (set(), set()))
            users.add(name.removesuffix(".yml"))
            names.update(secrets(job))
    assert used == table


def test_the_required_check_is_the_plan_job_and_always_reported(repository: Path) -> None:
    assert "require the status check\n   `plan`" in SECTION
    plan = workflows(repository)["plan.yml"]
    assert [job["name"] for job in plan["jobs"].values()] == ["plan"]
    assert "merge_group" in plan["on"]
    assert plan["on"]["pull_request"] is None, "no path filter"


def test_the_first_apply_input_and_the_marker_tag_are_the_workflow_s(repository: Path) -> None:
    apply = workflows(repository)["apply.yml"]
    assert "`unreviewed-full-apply`" in SECTION
    assert "unreviewed-full-apply" in apply["on"]["workflow_dispatch"]["inputs"]
    assert f"`{MARKER}`" in SECTION
    assert f"refs/tags/{MARKER}" in (repository / ".github/workflows/apply.yml").read_text()


def test_labels_and_the_artifact_are_named_as_the_workflows_name_them(repository: Path) -> None:
    texts = {p.name: p.read_text() for p in (repository / ".github" / "workflows").glob("*.yml")}
    assert "`reconciler-apply-failed`" in SECTION
    assert "'reconciler-apply-failed'" in texts["apply.yml"]
    assert "`reconciler-drift`" in SECTION
    assert "'reconciler-drift'" in texts["drift.yml"]
    assert f"`{ARTIFACT_PREFIX}N`" in SECTION
    assert f"name: {ARTIFACT_PREFIX}" in texts["plan.yml"]
