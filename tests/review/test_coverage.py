"""A fresh plan is applied on the strength of its reviews only when every change is covered."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from reconciler.plan import Change, FieldDiff, Plan
from reconciler.review import coverage, describe

ROLES = ["id_full_admin"]


def customer_create(ext: str = "acme", name: str = "Acme") -> Change:
    return Change(
        "create",
        "customer",
        ext,
        fields=(
            FieldDiff("name", None, name),
            FieldDiff("packages", None, ["webex_calling", "webex_meetings"]),
            FieldDiff("address", None, {"city": "Oslo", "country": "NO"}),
        ),
    )


def user_create(
    email: str = "ann@acme.example", first: str = "Ann", roles: object = ROLES
) -> Change:
    return Change(
        "create",
        "user",
        "acme",
        email,
        fields=(
            FieldDiff("firstName", None, first),
            FieldDiff("package", None, "webex_calling"),
            FieldDiff("roles", None, roles),
        ),
        depends_on=("customer/acme",),
    )


def update(kind: str, name: str | None, *fields: FieldDiff, ext: str = "acme") -> Change:
    return Change("update", kind, ext, name, fields=fields)  # type: ignore[arg-type]


def reviewed(*changes: Change) -> Plan:
    """A reviewed plan as apply gets it: read back from the JSON file plan --out wrote."""
    return Plan.from_json(Plan(changes=changes).to_json())


def test_an_empty_fresh_plan_has_nothing_to_apply_even_without_reviews() -> None:
    result = coverage(Plan(), [])
    assert result.ok
    assert result.nothing_to_apply


def test_the_reviewed_plan_itself_is_covered() -> None:
    plan = Plan(changes=(customer_create(), user_create()))
    result = coverage(plan, [reviewed(*plan.changes)])
    assert result.ok
    assert not result.nothing_to_apply


def test_a_re_run_after_part_was_applied_needs_only_the_rest_covered() -> None:
    # 6 of 8 creates done: the fresh plan holds the other two.
    users = [user_create(f"u{i}@acme.example") for i in range(8)]
    result = coverage(Plan(changes=tuple(users[6:])), [reviewed(*users)])
    assert result.ok


def test_a_create_s_remainder_may_be_an_update() -> None:
    # The customer exists but its packages were not all set when the run stopped.
    rest = update(
        "customer",
        None,
        FieldDiff("packages", ["webex_meetings"], ["webex_calling", "webex_meetings"]),
    )
    assert coverage(Plan(changes=(rest,)), [reviewed(customer_create())]).ok


def test_a_half_done_user_gets_the_roles_that_were_reviewed() -> None:
    rest = update("user", "ann@acme.example", FieldDiff("roles", [], ROLES))
    assert coverage(Plan(changes=(rest,)), [reviewed(user_create())]).ok


def test_a_half_done_user_with_other_roles_is_refused() -> None:
    rest = update("user", "ann@acme.example", FieldDiff("roles", [], ["id_readonly_admin"]))
    result = coverage(Plan(changes=(rest,)), [reviewed(user_create())])
    assert not result.ok
    [miss] = result.uncovered
    assert miss.change == rest
    assert miss.reason == 'roles -> ["id_readonly_admin"], reviewed ["id_full_admin"]'


def test_an_edit_since_the_review_is_refused_naming_the_field_and_both_values() -> None:
    result = coverage(
        Plan(changes=(customer_create(), user_create(first="Anne"))),
        [reviewed(customer_create(), user_create(first="Ann"))],
    )
    [miss] = result.uncovered
    assert str(miss) == 'create user/acme/ann@acme.example: firstName -> "Anne", reviewed "Ann"'


def test_a_field_added_since_the_review_is_refused() -> None:
    edited = Change(
        "create",
        "user",
        "acme",
        "ann@acme.example",
        fields=(*user_create().fields, FieldDiff("extension", None, "1234")),
    )
    [miss] = coverage(Plan(changes=(edited,)), [reviewed(user_create())]).uncovered
    assert miss.reason == 'extension -> "1234" was not reviewed'


def test_an_out_of_band_edit_in_partner_hub_is_refused() -> None:
    # Reviewed: Ann's first name. Meanwhile someone changed her last name in Partner Hub, so
    # the fresh plan would also write it back: that write was never reviewed.
    review = update("user", "ann@acme.example", FieldDiff("firstName", "An", "Ann"))
    fresh = update(
        "user",
        "ann@acme.example",
        FieldDiff("firstName", "An", "Ann"),
        FieldDiff("lastName", "Smith", "Smyth"),
    )
    [miss] = coverage(Plan(changes=(fresh,)), [reviewed(review)]).uncovered
    assert miss.reason == 'lastName -> "Smyth" was not reviewed'


def test_an_object_deleted_in_partner_hub_is_not_recreated_on_an_update_s_review() -> None:
    review = update("user", "ann@acme.example", FieldDiff("firstName", "An", "Ann"))
    [miss] = coverage(Plan(changes=(user_create(),)), [reviewed(review)]).uncovered
    assert miss.reason == "reviewed as an update, now a create"


def test_an_address_no_plan_mentions_is_refused() -> None:
    stray = update("location", "HQ", FieldDiff("timeZone", "Europe/Oslo", "Europe/Paris"))
    [miss] = coverage(Plan(changes=(stray,)), [reviewed(customer_create())]).uncovered
    assert miss.reason == "in no reviewed plan"


def test_before_values_do_not_matter_only_the_target_state() -> None:
    review = update("location", "HQ", FieldDiff("timeZone", "Europe/Oslo", "Europe/Paris"))
    fresh = update("location", "HQ", FieldDiff("timeZone", "Europe/Berlin", "Europe/Paris"))
    assert coverage(Plan(changes=(fresh,)), [reviewed(review)]).ok


def test_values_compare_as_json_not_by_key_order() -> None:
    fresh = update("customer", None, FieldDiff("address", None, {"country": "NO", "city": "Oslo"}))
    assert coverage(Plan(changes=(fresh,)), [reviewed(customer_create())]).ok


def test_a_delete_is_covered_by_a_reviewed_delete_only() -> None:
    delete = Change("delete", "user", "acme", "bob@acme.example", notes=("state: absent",))
    assert coverage(Plan(changes=(delete,)), [reviewed(delete)]).ok
    edit = update("user", "bob@acme.example", FieldDiff("firstName", "B", "Bob"))
    [miss] = coverage(Plan(changes=(delete,)), [reviewed(edit)]).uncovered
    assert miss.reason == "reviewed as an update, now a delete"
    [miss] = coverage(Plan(changes=(edit,)), [reviewed(delete)]).uncovered
    assert miss.reason == "reviewed as a delete, now an update"


def test_a_create_is_not_covered_by_a_reviewed_delete_or_update() -> None:
    delete = Change("delete", "customer", "acme")
    [miss] = coverage(Plan(changes=(customer_create(),)), [reviewed(delete)]).uncovered
    assert miss.reason == "reviewed as a delete, now a create"


def test_two_pull_requests_merged_in_one_push_are_covered_by_their_two_plans() -> None:
    first = reviewed(customer_create(), user_create())
    second = reviewed(
        update("user", "bob@acme.example", FieldDiff("lastName", "B", "Berg")),
        customer_create("globex", "Globex"),
    )
    fresh = Plan(changes=(*first.changes, *second.changes))
    assert coverage(fresh, [first, second]).ok
    # Either plan alone leaves the other's changes unreviewed.
    assert [u.change.address for u in coverage(fresh, [first]).uncovered] == [
        "user/acme/bob@acme.example",
        "customer/globex",
    ]


def test_two_pull_requests_editing_different_fields_of_one_user_each_cover_their_field() -> None:
    first = reviewed(update("user", "bob@acme.example", FieldDiff("firstName", "B", "Bob")))
    second = reviewed(update("user", "bob@acme.example", FieldDiff("lastName", "B", "Berg")))
    fresh = update(
        "user",
        "bob@acme.example",
        FieldDiff("firstName", "B", "Bob"),
        FieldDiff("lastName", "B", "Berg"),
    )
    assert coverage(Plan(changes=(fresh,)), [first, second]).ok
    assert not coverage(Plan(changes=(fresh,)), [first]).ok


def test_the_refusal_lists_every_unreviewed_change_in_plan_order() -> None:
    fresh = Plan(changes=(customer_create("globex"), user_create(first="Anne")))
    result = coverage(fresh, [reviewed(user_create())])
    assert describe(result) == (
        "2 of 2 change(s) in the fresh plan were not reviewed; nothing was applied:\n"
        "  create customer/globex: in no reviewed plan\n"
        '  create user/acme/ann@acme.example: firstName -> "Anne", reviewed "Ann"'
    )


def test_long_values_are_cut_in_the_message() -> None:
    fresh = update("customer", None, FieldDiff("name", None, "x" * 200))
    [miss] = coverage(Plan(changes=(fresh,)), [reviewed(customer_create())]).uncovered
    assert miss.reason.startswith('name -> "xxx')
    assert len(miss.reason) < 200


values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.lists(st.text(max_size=3))
)
names = st.sampled_from(["a@x.example", "b@x.example", "c@x.example"])
field_names = st.sampled_from(["firstName", "lastName", "package", "roles", "extension"])


@st.composite
def changes(draw: st.DrawFn) -> Change:
    action = draw(st.sampled_from(["create", "update", "delete"]))
    fields = (
        ()
        if action == "delete"
        else tuple(
            FieldDiff(f, None, draw(values))
            for f in sorted(draw(st.sets(field_names, min_size=1, max_size=4)))
        )
    )
    return Change(action, "user", "x", draw(names), fields=fields)


@given(st.lists(changes(), max_size=6, unique_by=lambda c: c.address), st.data())
def test_any_part_left_of_a_reviewed_plan_is_covered(
    planned: list[Change], data: st.DataObject
) -> None:
    review = reviewed(*planned)
    left = []
    for change in planned:
        if not data.draw(st.booleans()):
            continue  # done already: it left the fresh plan
        keep = tuple(f for f in change.fields if data.draw(st.booleans())) or change.fields
        # What is left of a create is a create (nothing done) or an update (part done).
        action = change.action
        if action == "create" and keep != change.fields:
            action = "update"
        left.append(Change(action, "user", "x", change.name, fields=keep))
    assert coverage(Plan(changes=tuple(left)), [review]).ok


@given(st.lists(changes(), min_size=1, max_size=6, unique_by=lambda c: c.address), st.data())
def test_any_changed_value_is_refused(planned: list[Change], data: st.DataObject) -> None:
    review = reviewed(*planned)
    edited = data.draw(st.sampled_from([c for c in planned if c.action != "delete"] or [None]))
    assume(edited is not None)
    assert edited is not None
    target = data.draw(st.sampled_from(edited.fields))
    new = ["changed", target.after]  # a value no reviewed field can have
    fields = tuple(FieldDiff(f.field, None, new) if f == target else f for f in edited.fields)
    fresh = Plan(changes=(Change(edited.action, "user", "x", edited.name, fields=fields),))
    [miss] = coverage(fresh, [review]).uncovered
    assert miss.reason.startswith(f"{target.field} -> ")
