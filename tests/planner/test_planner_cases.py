"""Golden plan cases: desired + live (tests/cases/NAME.yaml) → expected plan (NAME.expected.json).

Regenerate the expectations with ``RECONCILER_REGEN_CASES=1 pytest tests/planner`` and review
the diff by eye; the hand-written ``expect`` facts of each case still have to hold.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from planner_caseload import case_paths, load_case, shuffled

from reconciler import planner
from reconciler.cli.exits import plan_exit_code
from reconciler.plan import Plan
from reconciler.planner.countries import with_countries
from reconciler.planner.pstn import pstn_to_read, with_pstn

REGEN = os.environ.get("RECONCILER_REGEN_CASES") == "1"


def pretty(plan: Plan) -> str:
    data = json.loads(plan.to_json())
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run(path: Path) -> tuple[dict[str, object], Plan]:
    top, desired, live = load_case(path)
    scope = frozenset(top["scope"]) if "scope" in top else None
    plan = planner.plan(desired, live, scope=scope)
    if "countries" in top:  # as GET /telephony/config/countries/{code} answers them
        plan = with_countries(plan, top["countries"])
    # the connection of each live calling location whose numbers the plan changes, as GET
    # /telephony/pstn/locations/{id}/connection answers it (the live side's ``pstn``)
    connections = {key: live.locations[key].pstn for key in pstn_to_read(plan, live)}
    plan = with_pstn(plan, connections, desired)
    return top, plan


def test_there_are_enough_golden_cases() -> None:
    assert len(case_paths()) >= 25


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_golden_case(path: Path) -> None:
    top, plan = run(path)
    expected_file = path.with_name(path.stem + ".expected.json")
    if REGEN:
        expected_file.write_text(pretty(plan))
    assert expected_file.exists(), f"no {expected_file.name}: run with RECONCILER_REGEN_CASES=1"
    assert pretty(plan) == expected_file.read_text()

    expect = top.get("expect", {})
    assert isinstance(expect, dict)
    data = json.loads(plan.to_json())
    for action in ("create", "update", "delete"):
        if action in expect:
            assert data["summary"][action] == expect[action], action
    for section in ("warnings", "unmanaged"):
        if section in expect:
            assert len(data[section]) == expect[section], section
    if "blocked" in expect:
        assert plan.is_blocked is expect["blocked"]
    for text in expect.get("mentions", ()):
        assert text in plan.to_json(), text
    if "exitCode" in expect:
        options = top.get("options", {})
        assert isinstance(options, dict)
        code = plan_exit_code(
            plan,
            detailed_exitcode=bool(options.get("detailedExitcode", False)),
            force=bool(options.get("force", False)),
        )
        assert code == expect["exitCode"]


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_golden_case_reads_back_with_same_checksum(path: Path) -> None:
    _, plan = run(path)
    again = Plan.from_json(plan.to_json())
    assert again.checksum == plan.checksum
    assert again.to_json() == plan.to_json()


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_golden_case_is_independent_of_input_order(path: Path) -> None:
    top, desired, live = load_case(path)
    scope = frozenset(top["scope"]) if "scope" in top else None
    first = planner.plan(desired, live, scope=scope).to_json()
    for seed in range(3):
        again = planner.plan(shuffled(desired, seed), shuffled(live, seed + 100), scope=scope)
        assert again.to_json() == first
