"""``reconciler templates checklist``: the Partner Hub steps per template, and missing IDs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]

PILOT = """\
kind: Template
name: pilot
partnerHub:
  serviceProviderAdmin: ops@partner.example
  country: DE
  defaultEmailLanguage: de_DE
  wholesaleSubscription: Sub-1
  pstnProvider: Acme PSTN
  authentication: partner_sso
  email:
    Send welcome emails to users: false
---
kind: Template
name: bare
provisioningId: PID-BARE
---
kind: Customer
externalId: NEW-1
name: New One
adminEmail: admin@new-one.example
template: pilot
packages: [webex_meetings]
address: {line1: 1 Hauptstr., city: Berlin, country: DE}
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["templates", "checklist", *args])
    return result.exit_code, result.output


def test_checklist_lists_the_wizard_steps_from_partner_hub_settings() -> None:
    code, out = run(str(ROOT / "desired-state"))
    assert code == 0
    assert "Template na-calling (" in out
    assert "Authentication: Webex authentication" in out
    assert "     - Calling region: United States" in out
    assert "All 3 template(s) have a provisioningId." in out


def test_checklist_flags_a_missing_provisioning_id_and_its_customers(tmp_path: Path) -> None:
    (tmp_path / "estate.yaml").write_text(PILOT)
    code, out = run(str(tmp_path))
    assert code == 0, out
    pilot = out[out.index("Template pilot") :]
    assert "provisioningId: MISSING" in pilot
    assert "used by: NEW-1" in pilot
    assert "Authentication: Partner SSO" in pilot
    assert "Acme PSTN (Cisco advises leaving it unset in a template)" in pilot
    assert "     - Send welcome emails to users: off" in pilot
    assert "Calling settings: (not set in YAML: choose in Partner Hub)" in pilot
    assert "used by: no customer yet" in out[out.index("Template bare") :]
    assert out.rstrip().endswith("1 of 2 template(s) without a provisioningId: pilot")


def test_checklist_of_a_missing_directory_is_one_message() -> None:
    code, out = run("/nonexistent/estate")
    assert code == 1
    assert "Traceback" not in out
