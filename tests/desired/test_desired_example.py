"""The example ``desired-state/`` is valid and as rich as the README promises."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.desired import load_desired
from reconciler.model import CALLING_CUSTOMER_PACKAGES, CALLING_USER_PACKAGES, FULL_ADMIN_ROLE

EXAMPLE = Path(__file__).resolve().parents[2] / "desired-state"


def test_validate_example_exits_0_with_counts() -> None:
    result = CliRunner().invoke(cli, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{EXAMPLE}: valid: 3 templates, 8 customers, 15 locations, 82 users, 1 settings "
        "(14 files)\n"
    )


def test_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nope'}: no such directory\n"


def test_example_is_realistic() -> None:
    state = load_desired(EXAMPLE)
    assert len(state.templates) >= 3
    assert all(t.provisioning_id and t.partner_hub for t in state.templates.values())
    assert len(state.customers) == 8
    assert len({c.address.country for c in state.customers.values()}) >= 4
    assert any(c.packages == ("webex_meetings",) for c in state.customers.values())
    per_customer = Counter(ext for ext, _ in state.locations)
    assert sum(1 for n in per_customer.values() if n > 1) >= 3
    assert len(state.users) >= 80
    assert len({u.package for u in state.users.values()}) >= 5
    for user in state.users.values():
        if user.package in CALLING_USER_PACKAGES:
            assert user.phone_number or user.extension
            assert user.location is not None
    admins = [u for u in state.users.values() if FULL_ADMIN_ROLE in u.roles]
    assert len(admins) >= 2
    assert any(set(u.roles) - {FULL_ADMIN_ROLE} for u in state.users.values())
    for customer in state.customers.values():
        if set(customer.packages) & CALLING_CUSTOMER_PACKAGES:
            assert (customer.external_id, customer.headquarters) in state.locations
    split = [
        ext
        for ext, c in state.customers.items()
        if c.source
        and any(
            loc.source and loc.source.file != c.source.file
            for (owner, _), loc in state.locations.items()
            if owner == ext
        )
    ]
    assert split, "one customer is split across several files"
