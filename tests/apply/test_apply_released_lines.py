"""A number or extension a user gives up in a plan can be taken by another user in the same
plan, and a calling location can go with the users removed from it: removing a subscriber
leaves the person in the org without its licences (Webex: "Removes the mapping between
Wholesale Subscriber and a Webex user"), so its number and extension are free once that
change is done — the taker waits for it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_apply_calling import Hub, converge, person

from reconciler.workflow.plan import make_plan

NUMBERS = ["+13125550100", "+13125550101", "+13125550102"]
LAB = ["+13125550200"]


def estate(directory: Path, users: list[str], *, lab: bool = True) -> Path:
    (directory / "customers").mkdir(parents=True, exist_ok=True)
    (directory / "templates.yaml").write_text(
        "kind: Template\nname: std\nprovisioningId: PID-STD\n", encoding="utf-8"
    )
    lab_text = (
        "  - name: Lab\n    timeZone: America/Chicago\n    preferredLanguage: en_us\n"
        "    address: {line1: 3 Lab Way, city: Chicago, state: IL, postalCode: '60601', "
        f"country: US}}\n    numbers: {LAB!r}\n"
        if lab
        else "  - {name: Lab, state: absent}\n"
    )
    lines = "".join(f"  - {{{u}}}\n" for u in users)
    (directory / "customers" / "acme.yaml").write_text(
        f"""kind: Customer
externalId: acme
name: Acme
adminEmail: admin@acme.example
template: std
language: en_us
packages: [webex_calling, webex_meetings]
address: {{line1: 1 Main St, city: Chicago, state: IL, postalCode: '60601', country: US}}
headquarters: HQ
locations:
  - name: HQ
    timeZone: America/Chicago
    preferredLanguage: en_us
    numbers: {NUMBERS!r}
{lab_text}users:
{lines}""",
        encoding="utf-8",
    )
    return directory


def user(name: str, where: str, number: str, extension: str, *, absent: bool = False) -> str:
    state = ", state: absent" if absent else ""
    return (
        f"email: {name}@acme.example, firstName: {name.title()}, lastName: Lee, "
        f"package: webex_calling, location: {where}, phoneNumber: '{number}', "
        f"extension: '{extension}'{state}"
    )


def test_a_removed_users_number_and_extension_go_to_a_new_user_in_one_apply(
    tmp_path: Path,
) -> None:
    hub = Hub(tmp_path)
    directory = tmp_path / "estate"
    converge(hub, estate(directory, [user("ann", "HQ", NUMBERS[0], "100")]))
    estate(
        directory,
        [user("ann", "HQ", NUMBERS[0], "100", absent=True), user("bo", "HQ", NUMBERS[0], "100")],
    )
    planned = asyncio.run(make_plan(directory, hub.target(), seams=hub.seams()))
    (create,) = [c for c in planned.plan.changes if c.action == "create"]
    assert "user/acme/ann@acme.example" in create.depends_on
    converge(hub, directory)
    bo = person(hub.dump(), "bo@acme.example")
    assert [n["value"] for n in bo["phoneNumbers"]] == [NUMBERS[0]]
    assert bo["extension"] == "100"


def test_a_number_a_user_changes_away_from_goes_to_another_user(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    directory = tmp_path / "estate"
    converge(hub, estate(directory, [user("ann", "HQ", NUMBERS[0], "100")]))
    estate(directory, [user("ann", "HQ", NUMBERS[1], "101"), user("bo", "HQ", NUMBERS[0], "100")])
    converge(hub, directory)
    dump = hub.dump()
    assert [n["value"] for n in person(dump, "bo@acme.example")["phoneNumbers"]] == [NUMBERS[0]]
    assert [n["value"] for n in person(dump, "ann@acme.example")["phoneNumbers"]] == [NUMBERS[1]]


def test_a_calling_location_goes_with_the_users_removed_from_it(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    directory = tmp_path / "estate"
    converge(hub, estate(directory, [user("ann", "Lab", LAB[0], "200")]))
    run = converge(
        hub, estate(directory, [user("ann", "Lab", LAB[0], "200", absent=True)], lab=False)
    )
    assert run.result is not None
    done = {r.address: r.message for r in run.result.results}
    assert done["calling/acme/Lab"] == "calling disabled"
    assert done["location/acme/Lab"] == "deleted"
    dump = hub.dump()
    assert [loc["name"] for loc in dump["locations"]] == ["HQ"]
    # Webex keeps the person; without its subscription it holds no number or extension
    ann = person(dump, "ann@acme.example")
    assert ann["phoneNumbers"] == []
    assert "extension" not in ann


def test_a_downgraded_users_line_goes_to_another_user_in_one_apply(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    directory = tmp_path / "estate"
    meetings = "email: bo@acme.example, firstName: Bo, lastName: Lee, package: webex_meetings"
    converge(hub, estate(directory, [user("ann", "HQ", NUMBERS[0], "100"), meetings]))
    downgraded = "email: ann@acme.example, firstName: Ann, lastName: Lee, package: webex_meetings"
    estate(directory, [downgraded, user("bo", "HQ", NUMBERS[0], "100")])
    planned = asyncio.run(make_plan(directory, hub.target(), seams=hub.seams()))
    assert not planned.plan.blocked
    converge(hub, directory)
    bo = person(hub.dump(), "bo@acme.example")
    assert [n["value"] for n in bo["phoneNumbers"]] == [NUMBERS[0]]
    assert bo["extension"] == "100"


def test_a_calling_location_is_not_disabled_while_a_user_no_yaml_declares_stays(
    tmp_path: Path,
) -> None:
    hub = Hub(tmp_path)
    directory = tmp_path / "estate"
    converge(hub, estate(directory, [user("ann", "Lab", LAB[0], "200")]))
    # ann left to live (prune off), Lab to be deleted; bo at HQ keeps the users list
    estate(directory, [user("bo", "HQ", NUMBERS[1], "101")], lab=False)
    planned = asyncio.run(make_plan(directory, hub.target(), seams=hub.seams()))
    (blocked,) = [n for n in planned.plan.blocked if n.address == "calling/acme/Lab"]
    assert "1 calling user(s) stay at location 'Lab': ann@acme.example" in blocked.message
    assert "customers/acme.yaml:" in blocked.message
