"""An estate with Webex Calling applied, exported, then planned: ``calling`` (where it is not
the default) and ``numbers`` (each calling location's inventory) are written, and the plan of
the export against the same Partner Hub is empty."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from test_apply_calling import HQ_NUMBERS, LAB_NUMBERS, Hub, converge, write

from reconciler.workflow.export import export_directory


def with_depot(estate: Path) -> None:
    """Add Depot, a location of the calling customer declared ``calling: false``."""
    path = estate / "customers" / "acme.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "users:\n",
        "  - name: Depot\n    calling: false\n    timeZone: America/Chicago\n"
        "    address: {line1: 9 Depot Rd, city: Chicago, state: IL, postalCode: '60601', "
        "country: US}\nusers:\n",
    )
    path.write_text(text, encoding="utf-8")


def test_export_writes_calling_and_numbers_and_plans_empty(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    estate = tmp_path / "estate"
    write(
        estate,
        hq=HQ_NUMBERS,
        lab=LAB_NUMBERS,
        user=f"location: Lab, phoneNumber: '{LAB_NUMBERS[0]}'",
    )
    with_depot(estate)
    converge(hub, estate)
    out = tmp_path / "out"
    exported = asyncio.run(export_directory(out, hub.target(), template="std", seams=hub.seams()))
    assert exported.left == ()  # the export's own check: validated, and its plan is empty
    text = (out / "customers" / "acme.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    locations = {loc["name"]: loc for loc in data["locations"]}
    assert locations["HQ"]["numbers"] == sorted(HQ_NUMBERS)
    assert locations["Lab"]["numbers"] == LAB_NUMBERS
    assert "calling" not in locations["HQ"]  # the default of a calling customer
    assert locations["Depot"]["calling"] is False
    assert "numbers" not in locations["Depot"]
    assert "# numbers: each calling location's number inventory as read" in text
    # and a plan of the exported directory against the same Partner Hub is empty
    assert hub.plan_is_empty(out)
