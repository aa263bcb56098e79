"""The number and country refusals of Webex Calling that ``plan`` now foresees, each through
``reconciler plan --sandbox DB`` against a seeded sandbox (Webex mode): removing a location's
main number, and enabling calling in a country Webex Calling does not serve."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from test_planner_calling_foreseen import ENV, LOCATIONS, blocked_at, estate, hq, plan, seed

from reconciler.cli import Runtime, cli


def test_a_main_number_left_out_of_the_numbers_is_kept_and_blocks(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    numbers = ["+13125550100", "+13125550101", "+13125550102"]
    seed(db, [hq(numbers=numbers, mainNumber="+13125550100")], [])
    directory = estate(
        tmp_path,
        """locations:
  - {name: HQ, timeZone: America/Chicago, preferredLanguage: en_us, numbers: ['+13125550102']}
""",
    )
    code, data, _ = plan(directory, db)
    assert code == 3
    message = blocked_at(data, "location/acme/HQ", "is the main number (calling line ID)")
    assert "+13125550100" in message
    assert "keep it in the location's numbers" in message
    removals = {c["address"] for c in data["changes"] if c["kind"] == "number"}
    assert removals == {"number/acme/HQ/+13125550101"}  # never the main number


def test_a_main_number_kept_in_the_numbers_plans_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    seed(db, [hq(numbers=["+13125550100", "+13125550101"], mainNumber="+13125550100")], [])
    directory = estate(
        tmp_path,
        """locations:
  - {name: HQ, timeZone: America/Chicago, preferredLanguage: en_us, numbers: ['+13125550100']}
""",
    )
    code, data, _ = plan(directory, db)
    assert code == 0, data["blocked"]
    assert [c["address"] for c in data["changes"]] == ["number/acme/HQ/+13125550101"]


STATION = """  - name: Station
    timeZone: Antarctica/McMurdo
    preferredLanguage: en_us
    address: {{line1: 1 Ice Shelf, city: McMurdo, {more}country: AQ}}
    calling: {calling}
"""


def test_calling_in_a_country_webex_calling_does_not_serve_blocks_the_location(
    tmp_path: Path,
) -> None:
    """The country read answers 404 for AQ; the plan blocks the location at its FILE:LINE
    instead of failing its whole read."""
    db = tmp_path / "s.sqlite"
    seed(db, [hq()], [])
    code, data, err = plan(
        estate(tmp_path, LOCATIONS + STATION.format(calling="true", more="")), db
    )
    assert code == 3, err
    message = blocked_at(data, "location/acme/Station", "country AQ is not supported")
    assert "declare calling: false" in message


def test_a_plain_location_in_such_a_country_needs_state_and_postal_code(tmp_path: Path) -> None:
    """No country configuration says what /locations may leave out there, so it asks for
    both: without them the location is blocked; with them the plan applies cleanly."""
    db = tmp_path / "s.sqlite"
    seed(db, [hq()], [])
    bare = estate(tmp_path, LOCATIONS + STATION.format(calling="false", more=""))
    code, data, err = plan(bare, db)
    assert code == 3, err
    blocked_at(data, "location/acme/Station", "needs both state and postalCode")
    full = estate(
        tmp_path / "full",
        LOCATIONS + STATION.format(calling="false", more="state: RS, postalCode: '9999', "),
    )
    code, data, err = plan(full, db)
    assert code == 0, err
    assert not data["blocked"]
    assert [c["address"] for c in data["changes"]] == ["location/acme/Station"]
    result = CliRunner().invoke(
        cli, ["apply", str(full), "--sandbox", str(db), "--yes"], env=ENV, obj=Runtime()
    )
    assert result.exit_code == 0, result.output
    assert plan(full, db)[0] == 0
