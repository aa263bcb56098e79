"""The promise as a property (bounded here; ``tests/bench/bench_promise.py`` runs it longer):
every generated estate and edit sequence plans, applies with no 4xx answer and converges in one
apply."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from promise_estates import (
    Doc,
    Estate,
    Figures,
    apply_edit,
    customer,
    edits,
    estates,
    run_example,
    user,
)


@settings(
    max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(docs=estates(), steps=st.lists(edits, min_size=1, max_size=4))
def test_every_plan_not_blocked_applies_cleanly_and_converges_in_one_apply(
    docs: list[Doc], steps: list[Any]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        figures = run_example(Path(tmp), docs, steps)
    assert figures.problems == []
    assert figures.client_errors == 0
    assert figures.second_applies == 0


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A round reports what it cannot run: a user whose package the customer does not hold
    (validate refuses it before anything is planned)."""
    doc = customer(0, 1, [(0, True, 0)])
    doc["users"][0]["package"] = "webex_suite"
    estate = Estate(tmp_path, [doc])
    figures = Figures()
    estate.round(figures, "bad package")
    assert figures.problems
    assert "does not validate" in figures.problems[0]


# Breaks of the promise these rounds found, now foreseen (the generator makes the extension
# cases too: the ``reuse_extension`` edit).


def test_a_meetings_user_with_a_location_is_refused_at_its_line(tmp_path: Path) -> None:
    """Webex sets a person's locationId only with a calling licence: the location of a
    meetings-only user would be ignored at apply (and a later People PUT refused), so validate
    refuses it where it is written."""
    doc = customer(0, 2, [(0, False, 0), (1, True, 1)])
    doc["users"][0]["location"] = "Boston Office"
    estate = Estate(tmp_path, [doc])
    estate.write()
    code, out = estate.cli("validate")
    assert code == 1
    lines = (estate.dir / "customers" / "PT-000.yaml").read_text().splitlines()
    line = next(
        n for n, text in enumerate(lines, 1) if "Boston Office" in text and "location" in text
    )
    assert f"PT-000.yaml:{line}:" in out
    assert "user 'u0@pt0.example' has location but package 'webex_meetings' has no calling" in out
    figures = Figures()
    estate.round(figures, "meetings user with a location")
    assert figures.applies == 0


def test_an_extension_held_by_an_unmanaged_user_is_foreseen(tmp_path: Path) -> None:
    estate = Estate(tmp_path, [customer(0, 1, [(0, True, 0), (1, True, 0)])])
    figures = Figures()
    estate.round(figures, "initial")
    users = estate.docs[0]["users"]
    users.pop()  # u1 stays live, unmanaged (prune off), holding extension 1001
    users.append(user(0, 1, True, "Austin Office") | {"email": "new@pt0.example"})
    estate.round(figures, "a new user takes extension 1001")
    assert figures.client_errors == 0, figures.problems
    assert (figures.applies, figures.blocked) == (1, 1)
    code, out = estate.cli("plan")
    lines = (estate.dir / "customers" / "PT-000.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "new@pt0.example" in text)
    assert code == 3
    assert (
        "extension 1001 at location 'Austin Office' is held by u1@pt0.example, a live user no "
        "YAML declares (prune off: left alone)"
    ) in out
    assert f"PT-000.yaml:{line}:" in out


def test_an_extension_a_removed_user_frees_is_taken_in_the_same_apply(tmp_path: Path) -> None:
    """Removing a subscription releases its calling line: the new user waits for it."""
    estate = Estate(tmp_path, [customer(0, 1, [(0, True, 0), (1, True, 0)])])
    figures = Figures()
    estate.round(figures, "initial")
    users = estate.docs[0]["users"]
    users[1] = {"email": "u1@pt0.example", "state": "absent"}
    users.append(user(0, 1, True, "Austin Office") | {"email": "new@pt0.example"})
    estate.round(figures, "u1 removed, a new user takes extension 1001")
    assert figures.problems == []
    assert (figures.applies, figures.blocked, figures.second_applies) == (2, 0, 0)


def test_an_extension_given_up_in_the_same_plan_is_taken_after(tmp_path: Path) -> None:
    """The new user's create waits for the update that frees the extension: one apply."""
    estate = Estate(tmp_path, [customer(0, 1, [(0, True, 0), (1, True, 0)])])
    figures = Figures()
    estate.round(figures, "initial")
    did = apply_edit(estate.docs, estate.settings, ("reuse_extension", 0, 1))
    assert did is not None
    assert "gives up 1001" in did
    estate.round(figures, did)
    assert figures.problems == []
    assert (figures.applies, figures.blocked, figures.second_applies) == (2, 0, 0)


def test_a_location_inheriting_its_customers_address_drops_line2_with_it(tmp_path: Path) -> None:
    """The locations declare no address (they take the customer's): when the customer drops
    line2, so do they, in the same apply."""
    doc = customer(0, 2, [(0, True, 0)])
    doc["address"]["line2"] = "Suite 2400"
    estate = Estate(tmp_path, [doc])
    figures = Figures()
    estate.round(figures, "with line2")
    del estate.docs[0]["address"]["line2"]
    estate.round(figures, "line2 dropped")
    assert figures.problems == []
    assert (figures.applies, figures.second_applies) == (2, 0)


def test_an_unknown_role_is_foreseen_by_plan(tmp_path: Path) -> None:
    """Roles are granted by the IDs GET /roles gives: a name it does not list is blocked at
    the user's line before anything is written (here under a customer not created yet: the
    list is read once for it), and the name it lists applies in one run."""
    doc = customer(0, 1, [(0, True, 0)])
    doc["users"][0]["roles"] = ["Read-only administrator"]
    estate = Estate(tmp_path, [doc])
    figures = Figures()
    estate.round(figures, "a role misspelt")
    assert (figures.applies, figures.blocked) == (0, 1)
    code, out = estate.cli("plan")
    lines = (estate.dir / "customers" / "PT-000.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "u0@pt0.example" in text)
    assert code == 3
    assert "did you mean 'Read-only Administrator'?" in out
    assert f"PT-000.yaml:{line}:" in out
    estate.docs[0]["users"][0]["roles"] = ["Read-only Administrator"]
    estate.round(figures, "the role as Webex lists it")
    assert figures.problems == []
    assert (figures.applies, figures.second_applies) == (1, 0)


def test_a_user_back_on_calling_at_another_location_converges(tmp_path: Path) -> None:
    """Leaving calling takes the user's line (Webex removes number and extension with the
    licence): back on calling elsewhere it is provisioned there, not refused as a move."""
    estate = Estate(tmp_path, [customer(0, 2, [(0, True, 0)])])
    figures = Figures()
    estate.round(figures, "initial")
    users = estate.docs[0]["users"]
    users[0] = user(0, 0, False, "Austin Office")
    estate.round(figures, "u0 to meetings")
    users[0] = user(0, 0, True, "Boston Office")
    estate.round(figures, "u0 back to calling, at Boston")
    assert figures.problems == []
    assert (figures.applies, figures.second_applies) == (3, 0)
