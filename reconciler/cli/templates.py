"""``reconciler templates checklist [DIR]``: the Partner Hub steps for each onboarding template.

Partner Hub has no API for onboarding templates: an operator creates each one in its UI and
copies the Provisioning ID back into the YAML. This prints, per Template document, the wizard's
steps filled in from its ``partnerHub`` settings, whether its ``provisioningId`` is set, and which
customers use it (those are blocked in a plan while a new one's template has no ID).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from reconciler.cli.exits import handle_errors
from reconciler.cli.options import directory_argument
from reconciler.desired import load_desired
from reconciler.model import State, Template

NOT_SET = "(not set in YAML: choose in Partner Hub)"
_AUTH = {"webex": "Webex authentication", "partner_sso": "Partner SSO (SAML identity provider)"}


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    return str(v)


def _settings(label: str, values: Mapping[str, Any] | None) -> list[str]:
    if not values:
        return [f"{label}: {NOT_SET}"]
    return [f"{label}:"] + [f"     - {k}: {_scalar(v)}" for k, v in values.items()]


def template_steps(template: Template, customers: list[str]) -> list[str]:
    """The checklist for one template, as lines."""
    ph = template.partner_hub
    where = f" ({template.source.file}:{template.source.line})" if template.source else ""
    status = (
        f"provisioningId: set ({template.provisioning_id})"
        if template.provisioning_id
        else "provisioningId: MISSING: new customers of this template are blocked in a plan"
    )
    used = ", ".join(customers) if customers else "no customer yet"
    steps: list[str] = [
        "Partner Hub > Customers > Onboarding templates > Create template > Webex for Wholesale",
        f"Template name: {template.name}",
        f"Service provider administrator: {ph.get('serviceProviderAdmin', NOT_SET)}",
        f"Country or region: {ph.get('country', NOT_SET)}",
        f"Default email language: {ph.get('defaultEmailLanguage', NOT_SET)}",
        f"Wholesale subscription: {ph.get('wholesaleSubscription', NOT_SET)}",
        "Wholesale calling, cloud-connected PSTN provider: "
        + (
            f"{ph['pstnProvider']} (Cisco advises leaving it unset in a template)"
            if ph.get("pstnProvider")
            else "leave unset (as Cisco advises)"
        ),
        "Authentication: "
        + _AUTH.get(str(ph.get("authentication")), str(ph.get("authentication", NOT_SET))),
        *_settings("Email settings", ph.get("email")),
        *_settings("Calling settings", ph.get("calling")),
        "Review and submit.",
        "Open the template, copy its Provisioning ID, and set it as `provisioningId` in the "
        f"Template document{where}.",
    ]
    lines = [f"Template {template.name}{where}", f"  {status}", f"  used by: {used}"]
    if template.description:
        lines.insert(1, f"  {template.description}")
    n = 0
    for step in steps:
        if step.startswith("     - "):
            lines.append(step)
            continue
        n += 1
        lines.append(f"  {n:>2}. {step}")
    return lines


def checklist(desired: State) -> str:
    """Every template's checklist, templates sorted by name, and a closing count."""
    users: dict[str, list[str]] = {}
    for ext, customer in sorted(desired.customers.items()):
        if customer.template and customer.state == "present":
            users.setdefault(customer.template, []).append(ext)
    blocks = [
        "\n".join(template_steps(t, users.get(name, [])))
        for name, t in sorted(desired.templates.items())
    ]
    missing = sorted(n for n, t in desired.templates.items() if not t.provisioning_id)
    if not blocks:
        return "No Template documents found.\n"
    closing = (
        f"{len(missing)} of {len(blocks)} template(s) without a provisioningId: "
        + ", ".join(missing)
        if missing
        else f"All {len(blocks)} template(s) have a provisioningId."
    )
    return "\n\n".join(blocks) + "\n\n" + closing + "\n"


@click.group("templates")
def command() -> None:
    """Onboarding templates (created in the Partner Hub UI; the YAML binds their IDs)."""


@command.command("checklist")
@directory_argument
@handle_errors
def checklist_command(directory: Path) -> None:
    """Print the Partner Hub steps to create each template of DIR (default: desired-state),
    from its `partnerHub` settings, and whether its provisioningId is set."""
    click.echo(checklist(load_desired(directory)), nl=False)
