"""ApiOperations against the in-process sandbox (fake clock): every kind of change, job polling,
outcome-unknown resolution, and the headquarters created by provisioning."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from admin_client import sandbox_admin, sandbox_stats
from apply_helpers import FakeClock, fast_limits

from reconciler import bodies, planner
from reconciler.apply import apply_plan
from reconciler.desired import load_desired
from reconciler.errors import JobFailed, OutcomeUnknown
from reconciler.model import LiveRef, State
from reconciler.operations import ApiOperations, PollPolicy
from reconciler.plan import Change, LocationFacts, Plan
from reconciler.sandbox import SandboxConfig
from reconciler.workflow import templates_of
from reconciler.workflow.connect import SandboxTarget, open_client
from reconciler.workflow.providers import read_providers

ROOT = Path(__file__).resolve().parents[2]
DESIRED = load_desired(ROOT / "desired-state")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def dump(client: Any) -> dict[str, Any]:
    data = await sandbox_admin(client, "GET", "/dump")
    assert isinstance(data, dict)
    return data


#: The example's integrated PSTN provider (``sandbox-providers.yaml``).
PROVIDERS = read_providers(ROOT / "sandbox-providers.yaml")


def sandbox(clock: FakeClock, **faults: Any) -> SandboxTarget:
    settings: dict[str, Any] = {
        "provision_seconds": 5.0,
        "customer_pstn": PROVIDERS.customer_pstn,
        "provider_numbers": PROVIDERS.provider_numbers,
        **faults,
    }
    config = SandboxConfig(db=":memory:", clock=clock, sleep=clock.sleep, **settings)
    return SandboxTarget(db=":memory:", config=config)


def test_whole_example_estate_from_empty(clock: FakeClock) -> None:
    plan = planner.plan(DESIRED, State())

    async def go() -> tuple[Any, dict[str, Any], dict[str, Any]]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            ops = ApiOperations(client, State(), clock=clock, sleep=clock.sleep)
            result = await apply_plan(plan, ops, concurrency=16)
            return result, await dump(client), await sandbox_stats(client)

    result, data, stats = run(go())
    assert result.ok, [r for r in result.results if r.status != "done"]
    assert len(data["customers"]) == len(DESIRED.customers)
    assert {c["status"] for c in data["customers"]} == {"provisioned"}
    # Headquarters came from provisioning: exactly one location per desired location name.
    names = [(loc["orgId"], loc["name"]) for loc in data["locations"]]
    assert len(names) == len(set(names)) == len(DESIRED.locations)
    emails = [s["email"].lower() for s in data["subscribers"]]
    assert sorted(emails) == sorted(e for (_, e) in DESIRED.users)
    people = [p["emails"][0].lower() for p in data["people"]]
    assert len(people) == len(set(people))
    # Names and roles went through the People API.
    by_email = {p["emails"][0].lower(): p for p in data["people"]}
    for (_, email), user in DESIRED.users.items():
        person = by_email[email]
        if user.first_name:
            assert person["firstName"] == user.first_name
        assert len(person.get("roles", [])) == len(user.roles)
    assert stats["byRoute"]["POST /v1/wholesale/customers"] == len(DESIRED.customers)
    assert "POST /v1/locations" in stats["byRoute"]


def one_customer_plan() -> tuple[str, Plan]:
    ext = "HVD-10231"
    plan = planner.plan(DESIRED, State(), scope=frozenset({ext}))
    return ext, plan


def test_dropped_customer_post_is_adopted_not_duplicated(clock: FakeClock) -> None:
    ext, plan = one_customer_plan()
    create = plan.changes[0]
    assert create.address == f"customer/{ext}"

    class DropFirstPost:
        """Lets the POST through, then reports the outcome as unknown (a dropped answer)."""

        def __init__(self, client: Any) -> None:
            self.client = client
            self.dropped = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        async def create_customer(self, body: dict[str, Any]) -> str:
            await self.client.create_customer(body)
            self.dropped += 1
            raise OutcomeUnknown(None, "connection lost", "POST", "/wholesale/customers")

    async def go() -> tuple[str, dict[str, Any]]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            wrapped = DropFirstPost(client)
            ops = ApiOperations(wrapped, State(), clock=clock, sleep=clock.sleep)
            message = await ops.run(create)
            assert wrapped.dropped == 1
            return message, await dump(client)

    message, data = run(go())
    assert "adopted" in message
    assert [c["externalId"] for c in data["customers"]] == [ext]
    assert data["customers"][0]["status"] == "provisioned"


def test_outcome_unknown_with_nothing_there_is_retried_once(clock: FakeClock) -> None:
    _, plan = one_customer_plan()

    class LoseFirstPost:
        def __init__(self, client: Any) -> None:
            self.client = client
            self.calls = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        async def create_customer(self, body: dict[str, Any]) -> str:
            self.calls += 1
            if self.calls == 1:  # a 502 from a gateway: nothing was written
                raise OutcomeUnknown(502, "bad gateway", "POST", "/wholesale/customers")
            result: str = await self.client.create_customer(body)
            return result

    async def go() -> tuple[str, int, dict[str, Any]]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            wrapped = LoseFirstPost(client)
            ops = ApiOperations(wrapped, State(), clock=clock, sleep=clock.sleep)
            message = await ops.run(plan.changes[0])
            return message, wrapped.calls, await dump(client)

    message, calls, data = run(go())
    assert calls == 2
    assert "retried once" in message
    assert len(data["customers"]) == 1


def test_failed_provisioning_is_retried_once_then_done(clock: FakeClock) -> None:
    _, plan = one_customer_plan()

    async def go() -> tuple[Any, dict[str, Any]]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock, provision_error_rate=1.0),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            ops = ApiOperations(client, State(), clock=clock, sleep=clock.sleep)
            result = await apply_plan(plan, ops)
            return result, await dump(client)

    result, data = run(go())
    assert result.ok, result.failed
    assert "retried after error" in result.results[0].message
    assert data["customers"][0]["status"] == "provisioned"


def test_provisioning_past_the_deadline_times_out_and_skips_dependents(clock: FakeClock) -> None:
    _, plan = one_customer_plan()

    async def go() -> Any:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock, provision_seconds=3600.0),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            ops = ApiOperations(
                client,
                State(),
                poll=PollPolicy(deadline=60.0),
                clock=clock,
                sleep=clock.sleep,
            )
            return await apply_plan(plan, ops)

    result = run(go())
    assert result.results[0].status == "failed"
    assert "deadline 60 s" in result.results[0].message
    assert {r.status for r in result.results[1:]} == {"skipped"}


def test_poll_policy_backs_off_to_its_cap() -> None:
    waits = PollPolicy(initial=1.0, factor=2.0, max_interval=5.0).intervals()
    assert [next(waits) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_location_of_an_unprovisioned_customer_fails_with_a_reason(clock: FakeClock) -> None:
    _, plan = one_customer_plan()
    location_change = next(c for c in plan.changes if c.kind == "location")

    async def go() -> None:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock, provision_seconds=3600.0),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            ops = ApiOperations(client, State(), clock=clock, sleep=clock.sleep)
            body = bodies.for_change(one_customer_plan()[1].changes[0])
            await client.create_customer(body)
            with pytest.raises(JobFailed, match="provisioning: its locations and users start"):
                await ops.run(location_change)

    run(go())


def test_headquarters_is_looked_up_not_created(clock: FakeClock) -> None:
    ext, plan = one_customer_plan()
    hq = DESIRED.customers[ext].headquarters
    assert hq is not None
    hq_create = Change(
        "create",
        "location",
        ext,
        hq,
        facts=LocationFacts(DESIRED.locations[(ext, hq)], headquarters=True),
    )

    async def go() -> tuple[str, dict[str, Any]]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            ops = ApiOperations(client, State(), clock=clock, sleep=clock.sleep)
            await ops.run(plan.changes[0])
            message = await ops.run(hq_create)
            return message, await dump(client)

    message, data = run(go())
    assert "headquarters found" in message
    assert [loc["name"] for loc in data["locations"]].count(hq) == 1


def test_delete_of_something_already_gone_is_done(clock: FakeClock) -> None:
    ext = "HVD-10231"
    live = replace(State())

    async def go() -> list[str]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            ops = ApiOperations(client, live, clock=clock, sleep=clock.sleep)
            create = planner.plan(DESIRED, State(), scope=frozenset({ext})).changes[0]
            await ops.run(create)
            first = await ops.run(Change("delete", "customer", ext))
            ops2 = ApiOperations(client, live, clock=clock, sleep=clock.sleep)
            second = await ops2.run(Change("delete", "customer", ext))
            return [first, second]

    first, second = run(go())
    assert first.startswith("deleted")
    assert second == "already gone"


def test_a_rerun_waits_for_a_job_left_running_and_plans_what_follows(
    clock: FakeClock, tmp_path: Path
) -> None:
    from reconciler.workflow import Seams, Selection, apply_directory, plan_with

    ext = "HVD-10231"
    db = tmp_path / "hub.sqlite"
    config = SandboxConfig(db=str(db), clock=clock, sleep=clock.sleep, provision_seconds=60.0)
    target = SandboxTarget(db=str(db), config=config)

    async def go() -> tuple[Any, Plan]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            target,
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            # An earlier run sent the create and was killed while the job ran.
            await client.create_customer(bodies.for_change(one_customer_plan()[1].changes[0]))
        limiter, retry = fast_limits(clock)
        run = await apply_directory(
            ROOT / "desired-state",
            target,
            Selection(scope=frozenset({ext})),
            seams=Seams(clock=clock, sleep=clock.sleep, limiter=lambda: limiter, retry=retry),
        )
        limiter, retry = fast_limits(clock)
        async with open_client(
            target,
            read_only=True,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            after = await plan_with(client, DESIRED, scope=frozenset({ext}))
        return run, after.plan

    run, after = asyncio.run(go())
    assert run.result is not None
    assert run.result.ok
    kinds = {c.kind for c in run.plan.changes}
    # the customer itself was not created again
    assert kinds == {"location", "calling", "number", "user"}
    assert after.is_empty


def test_a_location_lookup_by_name_takes_only_the_exact_name() -> None:
    # GET /locations?name= matches parts of names: "Chicago HQ" also finds "Chicago HQ East".
    class Listing:
        def __init__(self, items: list[dict[str, str]]) -> None:
            self.items = items

        async def list_locations(self, org_id: str, name: str | None = None) -> list[Any]:
            return [i for i in self.items if name is None or name.lower() in i["name"].lower()]

    from reconciler.operations.ids import ServerIds

    east = {"id": "L2", "name": "Chicago HQ East"}
    both = ServerIds(Listing([east, {"id": "L1", "name": "Chicago HQ"}]), State())  # type: ignore[arg-type]
    only_east = ServerIds(Listing([east]), State())  # type: ignore[arg-type]
    assert run(both.find_location("O1", "Chicago HQ")) == "L1"
    assert run(only_east.find_location("O1", "Chicago HQ")) is None
    assert run(only_east.find_location("O1", "Chicago HQ East")) == "L2"


@pytest.mark.parametrize("stale", ["error", "provisioned"])
def test_a_stale_status_right_after_an_update_is_not_taken_as_the_outcome(
    clock: FakeClock, stale: str
) -> None:
    """Partner Hub may not show the job at once: an old ``error`` must not spend the retry, an
    old ``provisioned`` must not end the wait while the customer is still updating."""
    ext, _ = one_customer_plan()
    customer = DESIRED.customers[ext]
    edited = replace(
        DESIRED,
        customers={
            **DESIRED.customers,
            ext: replace(customer, packages=(*customer.packages, "webex_meetings")),
        },
    )

    class StaleFirstLook:
        def __init__(self, client: Any) -> None:
            self.client = client
            self.puts = 0
            self.stale_pending = False

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        async def update_customer(self, customer_id: str, body: dict[str, Any]) -> None:
            self.puts += 1
            self.stale_pending = True
            await self.client.update_customer(customer_id, body)

        async def get_customer(self, customer_id: str) -> dict[str, Any]:
            data: dict[str, Any] = await self.client.get_customer(customer_id)
            if self.stale_pending:
                self.stale_pending = False
                return {**data, "status": stale}
            return data

    async def go() -> tuple[str, int, str]:
        limiter, retry = fast_limits(clock)
        async with open_client(
            sandbox(clock),
            read_only=False,
            templates=templates_of(DESIRED),
            limiter=limiter,
            retry=retry,
        ) as client:
            created = planner.plan(DESIRED, State(), scope=frozenset({ext}))
            ops = ApiOperations(client, State(), clock=clock, sleep=clock.sleep)
            assert (await apply_plan(created, ops, concurrency=4)).ok
            live = (await dump(client))["customers"][0]
            assert live["status"] == "provisioned"
            update = next(
                c
                for c in planner.plan(edited, await_live(live), scope=frozenset({ext})).changes
                if c.address == f"customer/{ext}"
            )
            wrapped = StaleFirstLook(client)
            ops = ApiOperations(wrapped, State(), clock=clock, sleep=clock.sleep)
            message = await ops.run(update)
            status = (await client.get_customer(live["id"]))["status"]
            return message, wrapped.puts, status

    def await_live(live: dict[str, Any]) -> State:
        return State(
            customers={
                ext: replace(
                    customer,
                    name=None,
                    admin_email=None,
                    template=None,
                    language=None,
                    live=LiveRef(id=live["id"], org_id=live.get("orgId"), status="provisioned"),
                )
            }
        )

    message, puts, status = run(go())
    assert puts == 1, message
    assert status == "provisioned"
    assert "retried" not in message
