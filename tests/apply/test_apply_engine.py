"""The apply engine with fake operations: order, concurrency, failure isolation, reporting."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.apply import ApplyResult, ChangeResult, apply_plan, waves
from reconciler.errors import ApiError, PlanError
from reconciler.journal import change_context, current_change
from reconciler.plan import Change, Plan


def cust(ext: str, action: str = "create") -> Change:
    return Change(action, "customer", ext)  # type: ignore[arg-type]


def loc(ext: str, name: str, action: str = "create", deps: tuple[str, ...] | None = None) -> Change:
    return Change(
        action,  # type: ignore[arg-type]
        "location",
        ext,
        name,
        depends_on=(f"customer/{ext}",) if deps is None else deps,
    )


def user(ext: str, email: str, location: str | None = None) -> Change:
    deps = [f"customer/{ext}"]
    if location:
        deps.append(f"location/{ext}/{location}")
    return Change("create", "user", ext, email, depends_on=tuple(deps))


class FakeOps:
    """Records start/end order; fails the addresses it is told to; sleeps per address."""

    def __init__(self, fail: set[str] | None = None, delay: dict[str, float] | None = None) -> None:
        self.fail = fail or set()
        self.delay = delay or {}
        self.started: list[str] = []
        self.ended: list[str] = []
        self.active = 0
        self.max_active = 0
        self.contexts: list[tuple[str, str] | None] = []

    async def run(self, change: Change) -> str:
        self.started.append(change.address)
        self.contexts.append(current_change())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.delay.get(change.address, 0.001))
            if change.address in self.fail:
                raise ApiError(500, "boom", "POST", "/v1/x")
            return f"{change.action}d"
        finally:
            self.active -= 1
            self.ended.append(change.address)


def run(plan: Plan, ops: FakeOps, **kw: object) -> ApplyResult:
    return asyncio.run(apply_plan(plan, ops, **kw))  # type: ignore[arg-type]


def test_waves_follow_dependencies_and_ignore_addresses_outside_the_plan() -> None:
    changes = [
        cust("a"),
        loc("a", "HQ"),
        user("a", "x@a.com", "HQ"),
        loc("b", "Site", deps=("customer/b",)),  # customer/b already exists: not in the plan
    ]
    assert waves(changes) == [0, 1, 2, 0]


def test_waves_refuse_a_cycle() -> None:
    a = Change("update", "location", "a", "X", depends_on=("location/a/Y",))
    b = Change("update", "location", "a", "Y", depends_on=("location/a/X",))
    with pytest.raises(PlanError, match="cycle"):
        waves([a, b])


def test_apply_runs_dependencies_first_and_reports_done() -> None:
    plan = Plan(changes=(cust("a"), loc("a", "HQ"), user("a", "x@a.com", "HQ")))
    ops = FakeOps()
    result = run(plan, ops)
    assert ops.started == ["customer/a", "location/a/HQ", "user/a/x@a.com"]
    assert result.ok
    assert [r.status for r in result.results] == ["done"] * 3
    assert result.results[0].message == "created"
    assert result.counts == {"done": 3, "failed": 0, "skipped": 0}


def test_apply_skips_dependents_of_failed_customer_and_carries_on_with_others() -> None:
    plan = Plan(
        changes=(
            cust("a"),
            cust("b"),
            loc("a", "HQ"),
            loc("b", "HQ"),
            user("a", "x@a.com", "HQ"),
            user("b", "y@b.com", "HQ"),
        )
    )
    ops = FakeOps(fail={"customer/a"})
    result = run(plan, ops)
    by = {r.address: r for r in result.results}
    assert by["customer/a"].status == "failed"
    assert "boom" in by["customer/a"].message
    assert by["location/a/HQ"].status == "skipped"
    assert by["user/a/x@a.com"].status == "skipped"
    assert "customer/a failed" in by["user/a/x@a.com"].message
    assert {by[a].status for a in ("customer/b", "location/b/HQ", "user/b/y@b.com")} == {"done"}
    assert "location/a/HQ" not in ops.started
    assert "user/a/x@a.com" not in ops.started
    assert not result.ok
    assert result.counts == {"done": 3, "failed": 1, "skipped": 2}
    # Results come back in plan order whatever the finishing order.
    assert [r.address for r in result.results] == [c.address for c in plan.changes]


def test_a_failed_location_skips_only_its_users() -> None:
    plan = Plan(
        changes=(
            loc("a", "HQ", deps=()),
            loc("a", "Branch", deps=()),
            user("a", "x@a.com", "HQ"),
            user("a", "y@a.com", "Branch"),
        )
    )
    result = run(plan, FakeOps(fail={"location/a/Branch"}))
    assert [r.status for r in result.results] == ["done", "failed", "done", "skipped"]


def test_concurrency_cap_is_respected_and_used() -> None:
    plan = Plan(changes=tuple(cust(f"c{i:02d}") for i in range(20)))
    ops = FakeOps(delay={f"customer/c{i:02d}": 0.01 for i in range(20)})
    result = run(plan, ops, concurrency=4)
    assert result.ok
    assert ops.max_active == 4


def test_a_slow_customer_does_not_hold_back_another_customers_locations() -> None:
    plan = Plan(changes=(cust("slow"), cust("fast"), loc("slow", "HQ"), loc("fast", "HQ")))
    ops = FakeOps(delay={"customer/slow": 0.2})
    run(plan, ops, concurrency=4)
    assert ops.ended.index("location/fast/HQ") < ops.ended.index("customer/slow")


def test_lower_waves_go_first_when_slots_are_scarce() -> None:
    plan = Plan(changes=(cust("a"), loc("a", "HQ"), cust("b"), cust("c")))
    ops = FakeOps()
    run(plan, ops, concurrency=1)
    assert ops.started == ["customer/a", "customer/b", "customer/c", "location/a/HQ"]


def test_reporter_sees_every_change_once_with_running_count() -> None:
    plan = Plan(changes=(cust("a"), loc("a", "HQ"), cust("b")))
    seen: list[tuple[str, str, int, int]] = []

    def reporter(result: ChangeResult, finished: int, total: int) -> None:
        seen.append((result.address, result.status, finished, total))

    run(plan, FakeOps(fail={"customer/a"}), reporter=reporter)
    assert sorted(s[0] for s in seen) == ["customer/a", "customer/b", "location/a/HQ"]
    assert [s[2] for s in seen] == [1, 2, 3]
    assert all(s[3] == 3 for s in seen)


def test_operations_see_the_change_they_run_for_the_journal() -> None:
    plan = Plan(changes=(cust("a"), loc("a", "HQ", action="delete", deps=())))
    ops = FakeOps()
    # The workflow labels each change this way (the engine itself knows no journal).
    run(plan, ops, around=lambda c: change_context(c.address, c.action))
    assert sorted(c for c in ops.contexts if c) == [
        ("customer/a", "create"),
        ("location/a/HQ", "delete"),
    ]
    assert current_change() is None


def test_an_unexpected_exception_fails_the_change_not_the_run() -> None:
    class Buggy(FakeOps):
        async def run(self, change: Change) -> str:
            if change.customer == "a":
                raise KeyError("oops")
            return await super().run(change)

    result = run(Plan(changes=(cust("a"), cust("b"))), Buggy())
    assert result.results[0].status == "failed"
    assert "unexpected error: KeyError" in result.results[0].message
    assert result.results[1].status == "done"


def test_an_empty_plan_is_an_ok_result() -> None:
    result = run(Plan(), FakeOps())
    assert result.ok
    assert result.results == ()


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        run(Plan(changes=(cust("a"),)), FakeOps(), concurrency=0)


def test_mismatch_names_what_differs_change_by_change() -> None:
    from reconciler.plan import FieldDiff
    from reconciler.workflow import describe_mismatch

    reviewed = Plan(
        changes=(
            cust("a"),
            Change("update", "customer", "b", fields=(FieldDiff("packages", ["x"], ["y"]),)),
        )
    )
    fresh = Plan(
        changes=(
            Change("update", "customer", "b", fields=(FieldDiff("packages", ["x"], ["z"]),)),
            cust("c"),
        )
    )
    text = describe_mismatch(fresh, reviewed.checksum, reviewed)
    assert reviewed.checksum in text
    assert fresh.checksum in text
    assert "gone:    create customer/a" in text
    assert "new:     create customer/c" in text
    assert "differs: update customer/b (packages)" in text
    summary = describe_mismatch(fresh, "0" * 64, None)
    assert "the fresh plan has 2 change(s)" in summary
