"""The README's commands do what it says, as a user would type them.

The first command's `reconciler` steps run here against a copy of `desired-state/` in a fresh
directory (the install step is what `.ci/run` itself does); the second command is the one
`.ci/run` runs.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from admin_client import sandbox_admin

from reconciler.model import CALLING_CUSTOMER_PACKAGES, CALLING_USER_PACKAGES
from reconciler.workflow.connect import SandboxTarget, open_client

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)


def first_command() -> str:
    return shell_blocks()[0].strip()


def reconciler_steps(command: str) -> list[list[str]]:
    """The `.venv/bin/reconciler …` steps of an `&&` chain, as argument lists."""
    steps = [shlex.split(part) for part in command.split("&&")]
    return [s for s in steps if s and s[0].endswith("/reconciler")]


def test_the_readme_test_command_is_what_ci_runs() -> None:
    test_command = shell_blocks()[1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text()
    assert "pytest" in test_command


def test_the_first_command_installs_then_plans_applies_and_plans_again() -> None:
    command = first_command()
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
    verbs = [s[1] for s in reconciler_steps(command)]
    assert verbs == ["plan", "apply", "plan"]


def test_the_yaml_format_example_is_a_valid_desired_state(tmp_path: Path) -> None:
    (tmp_path / "example.yaml").write_text(yaml_blocks()[0])
    proc = subprocess.run(
        [str(BIN / "reconciler"), "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 template, 1 customer, 2 locations, 2 users" in proc.stdout


@pytest.mark.e2e
def test_the_first_command_converges_on_the_example_estate(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "desired-state", tmp_path / "desired-state")
    shutil.copy(ROOT / "sandbox-providers.yaml", tmp_path)
    exe = BIN / "reconciler"
    results = []
    for argv in reconciler_steps(first_command()):
        proc = subprocess.run(
            [str(exe), *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        results.append(proc)
        assert proc.returncode == 0, f"{argv}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr
    first_plan, _, last_plan = results
    assert "to create" in first_plan.stdout
    assert (tmp_path / ".reconciler-sandbox.sqlite").exists()
    # The second plan ran with --detailed-exitcode and exited 0: nothing left to change.
    assert "--detailed-exitcode" in reconciler_steps(first_command())[2]
    assert last_plan.returncode == 0
    dump = sandbox_dump(tmp_path / ".reconciler-sandbox.sqlite")
    assert calling_problems(dump) == []
    # the integrated provider's numbers reached its customer's locations, none added by API
    (provider,) = [c for c in dump["customers"] if c["externalId"] == "SCH-80365"]
    held = {n["id"] for n in dump["numbers"] if n["orgId"] == provider["orgId"]}
    assert len(held) == 12
    assert (
        "numbers:" not in (ROOT / "desired-state/customers/southern-cross-health.yaml").read_text()
    )


def sandbox_dump(db: Path) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with open_client(SandboxTarget(db=str(db)), read_only=True) as client:
            data = await sandbox_admin(client, "GET", "/dump")
            assert isinstance(data, dict)
            return data

    return asyncio.run(go())


def calling_problems(dump: dict[str, Any]) -> list[str]:
    """What ``/_sandbox/dump`` shows against Webex Calling as Partner Hub runs it: every
    location of a calling customer is calling-enabled, and every calling user's number is in
    its own location's inventory."""
    calling_orgs = {
        c["orgId"] for c in dump["customers"] if set(c["packages"]) & CALLING_CUSTOMER_PACKAGES
    }
    problems = [
        f"location {loc['name']} is no calling location"
        for loc in dump["locations"]
        if loc["orgId"] in calling_orgs and not loc.get("_calling")
    ]
    inventory = {n["id"]: n["locationId"] for n in dump["numbers"]}
    people = {p["id"]: p for p in dump["people"]}
    calling_users = [
        people[s["personId"]]
        for s in dump["subscribers"]
        if set(s["packages"]) & CALLING_USER_PACKAGES and s.get("personId") in people
    ]
    assert calling_users
    for person in calling_users:
        for number in person.get("phoneNumbers") or ():
            if inventory.get(number["value"]) != person["locationId"]:
                problems.append(f"{number['value']} is not in {person['emails'][0]}'s location")
    return problems
