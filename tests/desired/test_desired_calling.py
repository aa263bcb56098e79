"""Location ``calling`` and ``numbers``: defaults, accepted as declared, and the phoneNumber
rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.desired import check_directory, load_desired
from reconciler.errors import Problem

Write = Callable[[dict[str, Any]], Path]


def acme(docs: dict[str, Any]) -> dict[str, Any]:
    return docs["customers/acme.yaml"][0]  # type: ignore[no-any-return]


def austin(docs: dict[str, Any]) -> dict[str, Any]:
    return acme(docs)["locations"][1]  # type: ignore[no-any-return]


def problems(write: Write, docs: dict[str, Any]) -> list[Problem]:
    return check_directory(write(docs)).problems


def test_calling_defaults_to_the_customers_packages(write: Write, docs: dict[str, Any]) -> None:
    state = load_desired(write(docs))
    assert state.locations["acme", "Austin"].calling is True
    assert state.locations["acme", "Austin"].numbers is None
    acme(docs)["packages"] = ["webex_meetings"]
    del acme(docs)["headquarters"]
    acme(docs)["users"] = []
    state = load_desired(write(docs))
    assert {loc.calling for loc in state.locations.values()} == {False}


def test_explicit_fields_are_accepted_as_plan_and_apply_act_on_them(
    write: Write, docs: dict[str, Any]
) -> None:
    austin(docs).update(calling=True, numbers=["+12145550101", "+12145550102"])
    assert problems(write, docs) == []


def test_validate_exits_nonzero_at_file_line(write: Write, docs: dict[str, Any]) -> None:
    austin(docs)["numbers"] = ["+12145550199"]
    result = CliRunner().invoke(cli, ["validate", str(write(docs))])
    assert result.exit_code != 0
    assert "customers/acme.yaml:" in result.output
    assert "phoneNumber +12145550101 is not one of the numbers of location 'Austin'" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_a_users_number_must_be_one_of_its_locations_numbers(
    write: Write, docs: dict[str, Any]
) -> None:
    austin(docs)["numbers"] = ["+12145550101", "+12145550102"]
    assert problems(write, docs) == []
    assert load_desired(write(docs)).locations["acme", "Austin"].numbers == (
        "+12145550101",
        "+12145550102",
    )
    austin(docs)["numbers"] = ["+12145550102"]
    [problem] = problems(write, docs)
    assert "phoneNumber +12145550101 is not one of the numbers of location 'Austin'" in (
        problem.message
    )
    text = (write(docs) / "customers/acme.yaml").read_text().splitlines()
    assert text[problem.line - 1].strip().startswith("phoneNumber:")


def test_without_numbers_the_tool_only_checks_the_inventory(
    write: Write, docs: dict[str, Any]
) -> None:
    """No ``numbers``: any number passes validation (the inventory is the planner's check)."""
    acme(docs)["users"][1]["phoneNumber"] = "+12145559999"
    assert problems(write, docs) == []


def test_a_number_belongs_to_one_location(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["locations"][0]["numbers"] = ["+12145550101"]
    austin(docs)["numbers"] = ["+12145550101"]
    messages = [p.message for p in problems(write, docs)]
    assert any("number +12145550101 is also a number of location" in m for m in messages)


def test_a_calling_user_needs_a_calling_location(write: Write, docs: dict[str, Any]) -> None:
    austin(docs)["calling"] = False
    [problem] = problems(write, docs)
    assert "has calling package 'webex_calling' but location 'Austin' has calling: false" in (
        problem.message
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (["2145550101"], "does not match"),
        (["+12145550101", "+12145550101"], "has duplicate entries"),
        ("+12145550101", "expected a list"),
    ],
)
def test_numbers_shape_is_checked_by_the_schema(
    write: Write, docs: dict[str, Any], value: Any, fragment: str
) -> None:
    austin(docs)["numbers"] = value
    messages = [p.message for p in problems(write, docs)]
    assert any(fragment in m for m in messages), messages
