"""``--sandbox-providers FILE``: the PSTN providers an in-process sandbox stands in for; a bad
file or a misuse is one message and the usage exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import Runtime, cli
from reconciler.workflow.providers import read_providers

ROOT = Path(__file__).resolve().parents[2]
ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
}


def plan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["plan", str(ROOT / "desired-state"), *args], env=ENV, obj=Runtime()
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


def test_the_example_file_names_an_integrated_provider_and_its_numbers() -> None:
    facts = read_providers(ROOT / "sandbox-providers.yaml")
    assert facts.customer_pstn == {"SCH-80365": "INTEGRATED_CCP"}
    assert len(facts.provider_numbers[("SCH-80365", "Sydney Head Office")]) == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("customers: {X: {pstn: COPPER}}", "pstn must be one of"),
        ("customers: {X: {pstn: INTEGRATED_CCP, numbers: {HQ: [12345]}}}", "quoted E.164"),
        ("[1, 2", "not YAML"),
        ("numbers: {}", "needs a 'customers' mapping"),
    ],
)
def test_a_bad_file_is_one_message(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "providers.yaml"
    bad.write_text(text, encoding="utf-8")
    code, stderr = plan(f"--sandbox={tmp_path / 's.sqlite'}", "--sandbox-providers", str(bad))
    assert code == 64
    assert message in stderr
    assert str(bad) in stderr


def test_providers_need_the_sandbox(tmp_path: Path) -> None:
    code, stderr = plan("--sandbox-providers", str(ROOT / "sandbox-providers.yaml"))
    assert code == 64
    assert "--sandbox-providers needs --sandbox" in stderr
