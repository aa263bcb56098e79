"""schemas/plan.schema.json describes the JSON plans the planner produces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from planner_caseload import case_paths, load_case

from reconciler import planner
from reconciler.plan import Notice, Plan

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_every_golden_plan_matches_the_schema(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    top, desired, live = load_case(path)
    plan = planner.plan(desired, live, scope=frozenset(top["scope"]) if "scope" in top else None)
    validator.validate(json.loads(plan.to_json()))


def test_a_plan_with_prechecks_matches_the_schema(
    validator: jsonschema.Draft202012Validator,
) -> None:
    _, desired, live = load_case(case_paths()[1])
    plan = planner.plan(desired, live)
    plan = Plan(changes=plan.changes, prechecks=(Notice("customer/acme", "ok: success"),))
    validator.validate(json.loads(plan.to_json()))


def test_the_schema_rejects_a_malformed_plan(validator: jsonschema.Draft202012Validator) -> None:
    _, desired, live = load_case(case_paths()[1])
    data = json.loads(planner.plan(desired, live).to_json())
    data["changes"][0]["action"] = "replace"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    data = json.loads(planner.plan(desired, live).to_json())
    del data["checksum"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
