"""A live location whose name differs from the YAML only in case: plan and sandbox agree (the
sandbox refuses a second such location with 409; the planner renames the live one instead)."""

from __future__ import annotations

import json

from test_apply_create_only import Cli, run  # noqa: F401  (run is the fixture)


def test_a_name_in_another_case_renames_the_live_location_and_converges(run: Cli) -> None:  # noqa: F811
    path = run.estate / "customers" / "maple-grove-accounting.yaml"
    path.write_text(path.read_text("utf-8").replace("Toronto Office", "TORONTO OFFICE"), "utf-8")
    code, out, err = run("plan", "--detailed-exitcode", "--format", "json")
    assert code == 2, out + err
    changes = json.loads(out)["changes"]
    assert [(c["action"], c["address"]) for c in changes] == [
        ("update", "location/MGA-30552/TORONTO OFFICE")
    ]
    assert changes[0]["notes"] == ["rename from 'Toronto Office'"]
    code, out, err = run("apply", "--yes")
    assert code == 0, out + err
    code, out, err = run("plan", "--detailed-exitcode")
    assert code == 0, out + err
