"""Which write scopes a plan certainly uses: a named scope the token lacks stops apply, so
none may be named that the plan's requests would not use."""

from __future__ import annotations

from reconciler.plan import Change, FieldDiff, Plan, UserFacts
from reconciler.scopes import missing_write_scopes, write_scopes

CUSTOMERS = "spark-admin:wholesale_customers_write"
SUBSCRIBERS = "spark-admin:wholesale_subscribers_write"
PEOPLE = "spark-admin:people_write"
TELEPHONY = "spark-admin:telephony_config_write"
RENAME = "identity:organizations_rw"


def scopes(*changes: Change) -> set[str]:
    return set(write_scopes(Plan(changes=changes)))


def update(kind: str, *fields: str, facts: UserFacts | None = None) -> Change:
    name = None if kind == "customer" else "x"
    diffs = tuple(FieldDiff(f, "a", "b") for f in fields)
    return Change("update", kind, "c1", name, fields=diffs, facts=facts)  # type: ignore[arg-type]


def test_a_rename_alone_is_the_identity_scope_only() -> None:
    assert scopes(update("customer", "name")) == {RENAME}
    assert scopes(update("customer", "name", "address")) == {RENAME, CUSTOMERS}
    assert scopes(update("customer", "address")) == {CUSTOMERS}
    assert scopes(Change("delete", "customer", "c1")) == {CUSTOMERS}


def test_user_changes_name_the_apis_they_go_through() -> None:
    assert scopes(Change("create", "user", "c1", "a@b.example")) == {SUBSCRIBERS}
    assert scopes(Change("delete", "user", "c1", "a@b.example")) == {SUBSCRIBERS}
    assert scopes(update("user", "package")) == {SUBSCRIBERS}
    assert scopes(update("user", "firstName", "roles")) == {PEOPLE}
    moved = update("user", "location", "phoneNumber", facts=UserFacts(moves=True))
    assert scopes(moved) == {TELEPHONY}
    # a location change without the move job may or may not PUT the person: nothing certain
    assert scopes(update("user", "location")) == set()


def test_calling_steps_and_locations() -> None:
    assert scopes(Change("create", "calling", "c1", "HQ")) == {TELEPHONY}
    assert scopes(Change("delete", "number", "c1", "HQ/+15550100")) == {TELEPHONY}
    assert scopes(Change("create", "location", "c1", "HQ")) == {"spark-admin:locations_write"}


def test_missing_scopes_name_the_first_change_needing_each() -> None:
    plan = Plan(
        changes=(
            Change("create", "location", "c1", "HQ"),
            Change("create", "location", "c2", "Depot"),
            Change("create", "user", "c1", "a@b.example"),
        )
    )
    assert missing_write_scopes(plan, frozenset({SUBSCRIBERS})) == [
        "spark-admin:locations_write (create, update and remove locations), first needed by "
        "location/c1/HQ"
    ]
    assert missing_write_scopes(plan, frozenset({SUBSCRIBERS, "spark-admin:locations_write"})) == []
