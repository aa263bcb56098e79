"""Every write a plan asks for is built from the change alone (``bodies.for_change``), and
validates against the official request schema; a change without its facts (read back from a
plan file) is refused with one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract import check_request
from planner_caseload import case_paths, load_case

from reconciler import bodies, calling_bodies, planner
from reconciler.desired import load_desired
from reconciler.errors import PlanError
from reconciler.model import Address, Location, State
from reconciler.plan import Change, CustomerFacts, LocationFacts, Plan

ROOT = Path(__file__).resolve().parents[2]

#: (kind, action) → the request the change's body goes to (server IDs made up).
REQUESTS = {
    ("customer", "create"): ("POST", "/wholesale/customers"),
    ("customer", "update"): ("PUT", "/wholesale/customers/C1"),
    ("location", "create"): ("POST", "/locations"),
    ("location", "update"): ("PUT", "/locations/L1"),
    ("user", "create"): ("POST", "/wholesale/subscribers"),
    ("user", "update"): ("PUT", "/wholesale/subscribers/S1"),
    ("calling", "create"): ("POST", "/telephony/config/locations"),
}


def writes(plan: Plan) -> list[Change]:
    return [c for c in plan.changes if c.action != "delete"]


def body_of(change: Change) -> dict[str, object]:
    if change.kind == "calling":
        return calling_bodies.enable_calling(change, location_id="L1")
    return bodies.for_change(change, customer_id="C1", location_id="L1")


def check(change: Change) -> None:
    method, path = REQUESTS[(change.kind, change.action)]
    body = body_of(change)
    check_request(method, path, body, strict=True)


def key_of(change: Change, body: dict[str, object]) -> object:
    """What names the object in the body of ``change``'s write."""
    if change.kind == "customer":
        return body["externalId"]
    if change.kind == "location":
        return body["name"]
    return body.get("email", change.name)  # a subscriber PUT names it in its path


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_every_write_of_a_golden_case_is_built_from_its_change(path: Path) -> None:
    # The cases' states skip the loader's defaults (languages), so the official schema is
    # checked on the example estate below; here each body is built and names its object.
    top, desired, live = load_case(path)
    scope = frozenset(top["scope"]) if "scope" in top else None
    for change in writes(planner.plan(desired, live, scope=scope)):
        facts = change.facts
        blocked = isinstance(facts, CustomerFacts) and not facts.provisioning_id
        if blocked and change.action == "create":  # forced, apply stops here
            with pytest.raises(PlanError, match="has no provisioningId"):
                bodies.for_change(change)
            continue
        if change.kind in ("calling", "number"):
            continue  # the example estate below checks their bodies
        body = bodies.for_change(change, customer_id="C1", location_id="L1")
        assert key_of(change, body) == (change.name or change.customer)


def test_the_example_estate_from_empty_is_built_from_its_changes() -> None:
    plan = planner.plan(load_desired(ROOT / "desired-state"), State())
    assert {(c.kind, c.action) for c in writes(plan)} == {
        ("customer", "create"),
        ("location", "create"),
        ("calling", "create"),
        ("number", "create"),
        ("user", "create"),
    }
    for change in (c for c in writes(plan) if c.kind != "number"):  # a number has no body
        check(change)


def test_a_rename_carries_the_live_name_it_starts_from() -> None:
    case = next(p for p in case_paths() if "rename" in p.stem)
    _, desired, live = load_case(case)
    renames = [
        c
        for c in planner.plan(desired, live).changes
        if isinstance(c.facts, LocationFacts) and c.facts.previous_name
    ]
    assert renames
    for change in renames:
        assert isinstance(change.facts, LocationFacts)
        assert (change.customer, change.facts.previous_name) in live.locations
        assert (change.customer, change.name) not in live.locations


def test_a_change_read_back_from_a_plan_file_has_no_facts_and_is_refused() -> None:
    plan = planner.plan(load_desired(ROOT / "desired-state"), State())
    again = Plan.from_json(plan.to_json())
    assert again.checksum == plan.checksum
    assert again.changes == plan.changes  # facts take no part in comparison
    with pytest.raises(PlanError, match="carries no CustomerFacts"):
        bodies.for_change(again.changes[0])


def test_a_delete_has_no_body() -> None:
    with pytest.raises(PlanError, match="a delete has no body"):
        bodies.for_change(Change("delete", "customer", "acme"))


def test_a_location_update_clears_the_address_parts_the_location_does_not_have() -> None:
    """A PUT keeps the address parts its body leaves out: the optional ones the location no
    longer has go as "" (a dropped line2 is cleared, not kept)."""
    place = Location(
        customer="acme",
        name="Branch",
        address=Address(line1="1 Main St", city="Austin", country="US", state="TX"),
    )
    body = bodies.location_update(place)
    assert body["address"] == {
        "address1": "1 Main St",
        "address2": "",
        "city": "Austin",
        "state": "TX",
        "postalCode": "",
        "country": "US",
    }
    check_request("PUT", "/locations/L1", body)
    assert "address" not in bodies.location_update(Location(customer="acme", name="Branch"))
