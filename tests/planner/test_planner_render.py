"""Renderings of a plan: Terraform-like text, a bounded Markdown PR comment, canonical JSON."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from planner_caseload import CASES, load_case

from reconciler import planner, render
from reconciler.plan import Change, FieldDiff, Notice, Plan


def case_plan(stem: str) -> Plan:
    _, desired, live = load_case(CASES / f"{stem}.yaml")
    return planner.plan(desired, live)


def test_text_shows_symbols_field_diffs_summary_and_checksum() -> None:
    plan = case_plan("35-mixed-order")
    out = render.text(plan)
    assert "  + location/alpha/Depot" in out
    assert "  ~ customer/zeta" in out
    assert "  - customer/old" in out
    zeta = out[out.index("  ~ customer/zeta") :]
    assert zeta.splitlines()[1:5] == [
        "      address:",
        '        city: "Springfield" -> "Zurich"',
        '        country: "US" -> "CH"',
        '        line1: "1 Main St" -> "9 Z St"',
    ]
    assert out.rstrip().splitlines()[-2] == (
        "Plan: 2 to create, 1 to update, 3 to delete. "
        "Deletes customer old with 0 locations and 0 users."
    )
    assert out.rstrip().splitlines()[-1] == f"Checksum: {plan.checksum}"
    assert "\x1b[" not in out


def test_text_lists_changes_in_plan_order() -> None:
    plan = case_plan("35-mixed-order")
    out = render.text(plan)
    positions = [out.index(f" {c.address}\n") for c in plan.changes]
    assert positions == sorted(positions)


def test_text_colour_only_when_asked() -> None:
    plan = case_plan("20-threshold-delete-blocked")
    coloured = render.text(plan, color=True)
    assert "\x1b[31m  - user/acme/x1@acme.example\x1b[0m" in coloured
    assert "\x1b[1;31mBlocked" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render.text(plan)


def test_text_sections_for_warnings_unmanaged_and_blocked() -> None:
    out = render.text(case_plan("19-create-only-drift"))
    assert "No changes. Partner Hub matches the desired state." in out
    assert "Warnings:\n  ! customer/acme: adminEmail cannot change after creation" in out
    assert "  ! customer/acme: language cannot change after creation: live 'en', YAML 'fr'" in out
    assert "Plan: 0 to create, 0 to update, 0 to delete." in out
    out = render.text(case_plan("17-prune-off-unmanaged"))
    assert "Unmanaged (left alone):\n  ? location/acme/Pop-up Store:" in out
    out = render.text(case_plan("23-missing-provisioning-id"))
    assert "Blocked (exit 3 unless --force):\n  x customer/newco: template 'pilot'" in out


def test_text_shows_notes_dependencies_and_prechecks_next_to_the_change() -> None:
    plan = case_plan("02-create-customer-with-calling-hq")
    plan = Plan(
        changes=plan.changes,
        prechecks=(Notice("customer/acme", "ok: Provisioning preCheck validation successful."),),
    )
    out = render.text(plan)
    block = out[out.index("  + customer/acme") : out.index("  + location/acme/Branch")]
    assert "# headquarters location 'HQ' is created by the customer's provisioning" in block
    assert "# precheck: ok: Provisioning preCheck validation successful." in block
    assert "    # after: customer/acme, location/acme/Branch" in out


def test_markdown_puts_the_customer_table_first_and_details_collapsed() -> None:
    plan = case_plan("35-mixed-order")
    md = render.markdown(plan)
    assert md.startswith("### reconciler plan: 2 to create, 1 to update, 3 to delete.")
    table = md.index("| Customer |")
    assert table < md.index("<details>")
    assert "| alpha | 2 | 0 | 2 | 0 | 0 | 0 |" in md
    assert "| old | 0 | 0 | 1 | 0 | 0 | 0 |" in md
    assert "<details><summary>alpha: 4 change(s)</summary>" in md
    # deletes first: the sections of customers with deletes, and in each section its deletes
    assert md.index("<summary>alpha") < md.index("<summary>old") < md.index("<summary>zeta")
    alpha = md[md.index("<summary>alpha") :]
    assert alpha.index("\n- location/alpha/") < alpha.index("\n+ location/alpha/Depot")
    assert "\n! customer/zeta\n" in md  # highlighted as a change by GitHub's diff colouring
    assert plan.checksum in md


def test_markdown_flags_a_blocked_plan_before_the_table() -> None:
    md = render.markdown(case_plan("20-threshold-delete-blocked"))
    assert md.index("**Blocked**") < md.index("| Customer |")
    assert "| (whole plan) | 0 | 0 | 0 | 0 | 1 | 0 |" in md


def test_markdown_escapes_pipes_in_table_cells() -> None:
    plan = Plan(changes=(Change("create", "customer", "a|b"),))
    assert "| a\\|b | 1 |" in render.markdown(plan)


def test_markdown_counts_notices_under_a_customer_whose_id_holds_a_slash() -> None:
    plan = Plan(
        changes=(Change("create", "user", "ACME/01", "ann@acme.example"),),
        warnings=(Notice("user/ACME/01/bob@acme.example", "held"),),
        blocked=(Notice("location/ACME/01/Depot/North", "no"),),
        unmanaged=(Notice("customer/ACME/02", "live only"),),
    )
    md = render.markdown(plan)
    assert "| ACME/01 | 1 | 0 | 0 | 1 | 1 | 0 |" in md
    assert "| ACME/02 | 0 | 0 | 0 | 0 | 0 | 1 |" in md
    assert "| ACME |" not in md


def big_plan(customers: int, users: int) -> Plan:
    changes = []
    for i in range(customers):
        ext = f"cust-{i:05d}"
        changes.append(Change("create", "customer", ext, fields=(FieldDiff("name", None, ext),)))
        changes.extend(
            Change(
                "create",
                "user",
                ext,
                f"user{j}@{ext}.example",
                fields=(FieldDiff("package", None, "webex_calling"),),
                depends_on=(f"customer/{ext}",),
            )
            for j in range(users)
        )
    unmanaged = tuple(Notice(f"customer/foreign-{i:05d}", "left alone") for i in range(500))
    return Plan(changes=tuple(changes), unmanaged=unmanaged)


def test_markdown_stays_under_the_limit_and_counts_what_was_cut() -> None:
    plan = big_plan(400, 20)
    md = render.markdown(plan)
    assert len(md) < render.MARKDOWN_LIMIT
    shown = md.count("\n+ customer/") + md.count("\n+ user/")
    note = re.search(r"Cut to stay under 60,000 characters: (.*) not shown", md)
    assert note, md[-500:]
    assert f"{400 * 21 - shown} changes" in note.group(1)
    unmanaged_shown = md.count("\n- `customer/foreign-")
    assert f"{500 - unmanaged_shown} unmanaged entries" in note.group(1)
    assert md.index("| Customer |") < md.index("<details>")


def test_markdown_cuts_summary_rows_of_a_huge_estate_too() -> None:
    plan = big_plan(3000, 0)
    md = render.markdown(plan)
    assert len(md) < render.MARKDOWN_LIMIT
    rows = md.count("\n| cust-") + md.count("\n| foreign-")
    assert f"{3000 + 500 - rows} summary rows" in md  # 500 unmanaged customers have rows too


def test_markdown_small_plan_is_not_cut() -> None:
    md = render.markdown(case_plan("02-create-customer-with-calling-hq"))
    assert "Cut to stay under" not in md


def test_json_is_the_canonical_plan() -> None:
    plan = case_plan("12-delete-location-tombstone")
    out = render.render(plan, "json")
    assert out == plan.to_json() + "\n"
    assert Plan.from_json(out).checksum == plan.checksum
    assert json.loads(out)["checksum"] == plan.checksum


def test_every_calling_step_shows_in_text_markdown_and_json() -> None:
    steps = {
        "43-calling-enable-and-numbers": [
            ("+", "calling/acme/Lab", "enable Webex Calling"),
            ("+", "number/acme/Lab/+13125550101", "add to the location's number inventory"),
        ],
        "44-calling-existing-plain-location": [
            ("-", "number/acme/HQ/+13125550199", "remove from the location's number inventory"),
        ],
        "45-calling-user-move": [("~", "user/acme/erin@acme.example", "moves with the move-users")],
        "46-calling-location-delete": [
            ("-", "calling/acme/Lab", "disable Webex Calling first"),
            ("-", "location/acme/Lab", "state: absent"),
        ],
    }
    for stem, expected in steps.items():
        plan = case_plan(stem)
        out, md, data = render.text(plan), render.markdown(plan), json.loads(render.as_json(plan))
        for symbol, address, note in expected:
            assert f"  {symbol} {address}" in out, (stem, address)
            assert f"# {note}" in out[out.index(f"  {symbol} {address}") :], (stem, note)
            assert address in md, (stem, address)
            (change,) = [c for c in data["changes"] if c["address"] == address]
            assert any(note in n for n in change["notes"]), (stem, note)


def test_markdown_shows_a_large_section_in_part_rather_than_not_at_all() -> None:
    plan = big_plan(1, 500)  # one customer with 500 users: more than the whole budget
    md = render.markdown(plan)
    assert len(md) < render.MARKDOWN_LIMIT
    assert len(md) > render.MARKDOWN_LIMIT - 2_000  # the budget is used, not left empty
    assert "<summary>cust-00000: 501 change(s)</summary>" in md
    shown = md.count("\n+ user/")
    assert 300 < shown < 500
    assert f"# ... {500 - shown} more change(s) of this customer: see the JSON plan" in md
    assert f"characters: {500 - shown} changes, " in md
    assert md.count("```") % 2 == 0  # every code block closed


def test_markdown_shows_customer_deletes_before_a_flood_of_creates() -> None:
    gone = Change(
        "delete",
        "customer",
        "zz-gone",
        fields=(FieldDiff("locations", 3, None), FieldDiff("users", 41, None)),
    )
    plan = replace(big_plan(400, 20), changes=(*big_plan(400, 20).changes, gone))
    md = render.markdown(plan)
    assert md.startswith(
        "### reconciler plan: 8400 to create, 0 to update, 1 to delete. "
        "Deletes customer zz-gone with 3 locations and 41 users."
    )
    first = md.index("<details>")
    assert md[first:].startswith("<details><summary>zz-gone: 1 change(s)</summary>")
    assert "- customer/zz-gone\n    locations: 3\n    users:     41\n" in md
    assert (
        render.text(plan)
        .rstrip()
        .splitlines()[-2]
        .endswith("Deletes customer zz-gone with 3 locations and 41 users.")
    )
