"""read_live against the in-process sandbox: normalised State and the minimum of requests."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pytest
from admin_client import sandbox_admin, sandbox_stats
from live_estate import estate, full_read_requests, sandbox, scoped_read_requests

from reconciler.api import Limiter
from reconciler.live import SCOPED_LOOKUP_MAX, read_live
from reconciler.model import Address, State
from reconciler.workflow.connect import open_client


async def _seed_and_read(
    seed: dict[str, Any], scope: list[str] | None, roles: bool = False, **config: Any
) -> tuple[State, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sandbox.sqlite")
        async with open_client(sandbox(db, **config), read_only=False) as admin:
            await sandbox_admin(admin, "POST", "/seed", seed)
        # plan's view: a read-only client (read token, write guard) on the same file
        async with open_client(sandbox(db, **config), read_only=True) as reader:
            state = await read_live(reader, customers=scope, roles=roles)
            return state, await sandbox_stats(reader)


def seed_and_read(
    seed: dict[str, Any], scope: list[str] | None = None, roles: bool = False, **config: Any
) -> tuple[State, dict[str, Any]]:
    return asyncio.run(_seed_and_read(seed, scope, roles, **config))


@pytest.mark.parametrize(
    ("customers", "locations", "users"),
    [(0, 0, 0), (1, 0, 0), (3, 2, 5), (2, 0, 150), (100, 1, 1), (130, 1, 2), (4, 3, 99)],
)
def test_live_full_read_costs_the_formula(customers: int, locations: int, users: int) -> None:
    state, stats = seed_and_read(estate(customers, locations, users))
    assert len(state.customers) == customers
    assert len(state.locations) == customers * locations
    assert len(state.users) == customers * users
    # the formula is the minimum; the two offset-paged lists (customers, subscribers) read
    # pages ahead in a window of the in-flight cap, at most cap - 1 empty pages each
    minimum = full_read_requests(customers, locations, users)
    assert minimum <= stats["total"] <= minimum + 2 * (Limiter().concurrency - 1)
    if customers <= 100 and customers * users < 200:  # lists of at most two pages: exact
        assert stats["total"] == minimum
    # never one GET per object
    assert not [r for r in stats["byRoute"] if "{" in r]


@pytest.mark.parametrize(("customers", "users"), [(0, 0), (2, 3)])
def test_role_names_are_read_once_and_only_when_asked_or_already_needed(
    customers: int, users: int
) -> None:
    """GET /roles costs a request of its own only when no org is read (a plan of new
    customers whose users declare roles); with orgs it is the read the users need anyway."""
    state, stats = seed_and_read(estate(customers, 1, users))
    if customers == 0:
        assert state.role_names is None  # not read: nothing needed it
    else:
        assert state.role_names is not None
        assert "Full Administrator" in state.role_names
    assert stats["total"] == full_read_requests(customers, 1, users)
    state, stats = seed_and_read(estate(customers, 1, users), roles=True)
    assert state.role_names is not None
    assert "Full Administrator" in state.role_names
    assert stats["total"] == full_read_requests(customers, 1, users, roles=True)
    assert stats["byRoute"]["GET /v1/roles"] == 1


def test_people_without_a_subscription_hold_extensions_the_state_lists() -> None:
    """A person of the org with an extension and no subscription (here: one whose removed
    subscription left its line, the sandbox's other reading) is listed by the state, from
    the people already read, so a plan can tell who holds it."""

    async def run() -> tuple[State, State]:
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "sandbox.sqlite")
            keeps = sandbox(db, subscriber_remove_releases_calling=False)
            async with open_client(keeps, read_only=False) as admin:
                await sandbox_admin(admin, "POST", "/seed", estate(1, 2, 2))
                before = await read_live(admin)
                gone = before.users[("cust-00000", "user1@cust-00000.example.com")]
                assert gone.live is not None
                assert gone.extension
                assert gone.location
                await admin.delete_subscriber(gone.live.id)
                return before, await read_live(admin)

    before, after = asyncio.run(run())
    assert before.extensions == {}
    gone = before.users[("cust-00000", "user1@cust-00000.example.com")]
    assert after.extensions == {
        ("cust-00000", str(gone.location), str(gone.extension)): "user1@cust-00000.example.com"
    }


def test_live_scoped_read_costs_the_same_whatever_the_estate_size() -> None:
    costs = []
    for size in (1, 40, 160):
        state, stats = seed_and_read(estate(size, 2, 3), ["cust-00000"])
        assert list(state.customers) == ["cust-00000"]
        assert {k[0] for k in state.users} == {"cust-00000"}
        costs.append(stats["total"])
    assert costs == [scoped_read_requests(1, 2, 3)] * 3
    assert costs[0] == 6


def test_live_scoped_read_of_several_customers() -> None:
    scope = ["cust-00001", "cust-00003", "no-such-customer"]
    state, stats = seed_and_read(estate(6, 1, 2), scope)
    assert sorted(state.customers) == ["cust-00001", "cust-00003"]
    assert stats["total"] == scoped_read_requests(2, 1, 2) + 1  # + the lookup that found none
    assert stats["byRoute"]["GET /v1/wholesale/subscribers"] == 2


def test_live_large_scope_lists_everything_and_chooses_subscribers_by_count() -> None:
    most = [f"cust-{i:05d}" for i in range(SCOPED_LOOKUP_MAX + 5)]
    state, stats = seed_and_read(estate(SCOPED_LOOKUP_MAX + 8, 1, 2), most)
    assert len(state.customers) == len(most)
    assert stats["byRoute"]["GET /v1/wholesale/subscribers"] == 1  # most in scope: all at once
    few = most[: SCOPED_LOOKUP_MAX + 1]
    state, stats = seed_and_read(estate(3 * (SCOPED_LOOKUP_MAX + 1), 1, 2), few)
    assert len(state.customers) == len(few)
    assert stats["byRoute"]["GET /v1/wholesale/subscribers"] == len(few)  # per customer


def test_live_state_is_normalised_to_the_desired_shape() -> None:
    state, _ = seed_and_read(estate(1, 2, 4))
    customer = state.customers["cust-00000"]
    assert customer.address == Address(line1="0 Customer Way", city="Berlin", country="DE")
    assert customer.packages == ("webex_calling", "webex_meetings")
    assert customer.name == "Customer 0"  # the org's displayName
    # the Full Administrators: the admin provisioning made and a subscriber with the role
    assert customer.live is not None
    assert customer.live.admins == (
        "admin@cust-00000.example.com",
        "user0@cust-00000.example.com",
    )
    assert customer.live is not None
    assert customer.live.status == "provisioned"
    assert customer.live.org_id
    site = state.locations[("cust-00000", "Site 1")]
    assert site.address == Address(
        line1="1 Main St", city="Berlin", country="DE", postal_code="10115"
    )
    assert site.time_zone == "Europe/Berlin"
    assert site.live is not None
    assert site.live.org_id == customer.live.org_id
    admin = state.users[("cust-00000", "user0@cust-00000.example.com")]
    assert admin.roles == ("Full Administrator",)
    assert admin.package == "webex_meetings"
    assert (admin.first_name, admin.last_name) == ("First0", "Last0")
    caller = state.users[("cust-00000", "user1@cust-00000.example.com")]
    assert caller.package == "webex_calling"
    assert caller.location == "Site 1"
    assert caller.extension == "1001"
    assert caller.phone_number == "+49300000001"
    assert caller.roles == ()
    assert caller.live is not None
    assert caller.live.person_id
    assert caller.live.status == "provisioned"
    # the administrator Partner Hub created is a person, not a subscriber: not a user
    assert ("cust-00000", "admin@cust-00000.example.com") not in state.users


def test_live_customer_without_org_is_read_without_org_calls() -> None:
    seed = estate(2, 1, 1)
    seed["customers"][1]["status"] = "error"
    state, stats = seed_and_read(seed)
    failed = state.customers["cust-00001"]
    assert failed.live is not None
    assert failed.live.status == "error"
    assert failed.live.org_id is None
    assert stats["byRoute"]["GET /v1/locations"] == 1
    assert stats["byRoute"]["GET /v1/people"] == 1


def test_live_read_survives_the_max_null_link_defect() -> None:
    state, stats = seed_and_read(estate(1, 0, 250), next_link_max_null=True)
    assert len(state.users) == 250
    assert stats["byStatus"] == {"200": stats["total"]}


def test_live_read_reports_progress() -> None:
    async def go() -> tuple[State, list[tuple[str, int, int]]]:
        async with open_client(sandbox(":memory:"), read_only=False) as client:
            await sandbox_admin(client, "POST", "/seed", estate(3, 1, 1))
            events: list[tuple[str, int, int]] = []
            state = await read_live(client, progress=lambda *e: events.append(e))
            return state, events

    state, events = asyncio.run(go())
    assert len(state.customers) == 3
    assert ("customers", 3, 3) in events
    assert [e for e in events if e[0] == "organizations"] == [
        ("organizations", n, 3) for n in (1, 2, 3)
    ]
    assert ("subscribers", 3, 3) in events


async def _read_with_others(seed: dict[str, Any], scope: list[str]) -> tuple[State, Any]:
    async with open_client(sandbox(":memory:"), read_only=False) as client:
        await sandbox_admin(client, "POST", "/seed", seed)
        await sandbox_admin(client, "POST", "/stats/reset")
        state = await read_live(client, customers=scope, others=True)
        return state, await sandbox_stats(client)


def test_live_others_lists_the_rest_without_their_contents() -> None:
    state, stats = asyncio.run(_read_with_others(estate(5, 1, 2), ["cust-00002"]))
    assert sorted(state.customers) == [f"cust-{i:05d}" for i in range(5)]
    assert {k[0] for k in state.locations} == {"cust-00002"}
    assert {k[0] for k in state.users} == {"cust-00002"}
    # one customers list (a short first page and the page that confirms it) replaces lookups
    assert stats["byRoute"]["GET /v1/wholesale/customers"] == 2
    assert stats["byRoute"]["GET /v1/people"] == 1
