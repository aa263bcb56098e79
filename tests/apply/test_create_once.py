"""create_once: a POST whose outcome is unknown is never replayed blindly, and is retried for as
long as the server answers the lookups (bounded), so two lost answers in a row do not fail; and
the customer rename, whose lost answer is simply resent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.errors import ApiError, Conflict, OutcomeUnknown, ServerError
from reconciler.model import Address, Customer, LiveRef, State
from reconciler.operations import ApiOperations
from reconciler.operations.calls import CREATE_ATTEMPTS, create_once, pause_of
from reconciler.plan import Change, CustomerFacts, FieldDiff


class Server:
    """A store of one object and a script of what each POST does: ``"lost"`` (written, answer
    lost), ``"502"`` (not written), ``"409"``, or ``"ok"``."""

    def __init__(self, script: list[str], *, lookups_fail: bool = False) -> None:
        self.script = script
        self.made: list[str] = []
        self.posts = 0
        self.lookups = 0
        self.lookups_fail = lookups_fail

    async def post(self) -> str:
        self.posts += 1
        step = self.script.pop(0) if self.script else "ok"
        if step == "502":
            raise ServerError(502, "bad gateway", "POST", "/x")
        if step == "409":
            raise Conflict(409, "exists", "POST", "/x")
        self.made.append(f"id-{len(self.made)}")
        if step == "lost":
            raise OutcomeUnknown(None, "connection dropped after sending", "POST", "/x")
        return self.made[-1]

    async def find(self) -> str | None:
        self.lookups += 1
        if self.lookups_fail:
            raise ServerError(503, "unavailable", "GET", "/x")
        return self.made[0] if self.made else None


def run(server: Server, **kwargs: Any) -> tuple[str, str]:
    return asyncio.run(create_once(server.post, server.find, **kwargs))


def test_a_first_answer_is_taken_as_is() -> None:
    server = Server(["ok"])
    assert run(server) == ("id-0", "")
    assert server.lookups == 0


def test_two_uncertain_failures_in_a_row_are_retried_without_a_duplicate() -> None:
    server = Server(["502", "502", "ok"])
    result, note = run(server)
    assert result == "id-0"
    assert server.made == ["id-0"]
    assert server.posts == 3
    assert server.lookups == 2
    assert "retried 2 times after" in note


def test_a_lost_answer_is_adopted_never_posted_again() -> None:
    server = Server(["502", "lost"])
    result, note = run(server)
    assert (result, server.made, server.posts) == ("id-0", ["id-0"], 2)
    assert "adopted after" in note


def test_a_conflict_whose_object_is_not_there_is_raised() -> None:
    server = Server(["502", "409"])
    with pytest.raises(Conflict):
        run(server)
    assert server.made == []


def test_a_lookup_the_server_does_not_answer_is_raised_not_a_blind_replay() -> None:
    server = Server(["502", "ok"], lookups_fail=True)
    with pytest.raises(ServerError) as caught:
        run(server)
    assert caught.value.method == "GET"
    assert server.posts == 1


def test_the_attempts_are_bounded_and_the_last_failure_raised() -> None:
    server = Server(["502"] * (CREATE_ATTEMPTS + 5))
    with pytest.raises(ApiError, match="bad gateway"):
        run(server)
    assert server.posts == CREATE_ATTEMPTS
    assert server.made == []


def test_each_retry_waits_the_pause_given_growing() -> None:
    waits: list[int] = []

    async def pause(n: int) -> None:
        waits.append(n)

    server = Server(["502", "502", "502", "ok"])
    run(server, pause=pause)
    assert waits == [1, 2, 3]


def test_the_pause_is_the_clients_backoff() -> None:
    slept: list[float] = []

    class Limiter:
        @staticmethod
        def rand() -> float:
            return 1.0

        @staticmethod
        async def sleep(seconds: float) -> None:
            slept.append(seconds)

    class Retry:
        @staticmethod
        def backoff(n: int, rand: Any) -> float:
            return 0.5 * 2 ** (n - 1) * rand()

    class Session:
        limiter, retry = Limiter(), Retry()

    class Client:
        session = Session()

    asyncio.run(pause_of(Client())(3))
    assert slept == [2.0]
    asyncio.run(pause_of(object())(3))  # a fake without a session: no wait
    assert slept == [2.0]


def test_a_rename_whose_answer_was_lost_is_sent_again_and_alone() -> None:
    """Setting a name twice is harmless: a lost answer is resent (bounded); a change of the
    name alone sends no wholesale PUT."""

    class Client:
        def __init__(self, losses: int) -> None:
            self.losses = losses
            self.renames: list[tuple[str, str]] = []
            self.puts = 0

        async def rename_organization(self, org_id: str, name: str) -> dict[str, Any]:
            self.renames.append((org_id, name))
            if self.losses:
                self.losses -= 1
                raise OutcomeUnknown(502, "bad gateway", "PATCH", "/identity/organizations/{id}")
            return {"displayName": name}

        async def update_customer(self, customer_id: str, body: dict[str, Any]) -> None:
            self.puts += 1

    address = Address(line1="1 Main St", city="Austin", country="US")
    live = Customer("acme", address, name="Acme", live=LiveRef(id="c1", org_id="org-1"))
    desired = Customer("acme", address, name="Acme Corp")
    change = Change(
        "update",
        "customer",
        "acme",
        fields=(FieldDiff("name", "Acme", "Acme Corp"),),
        facts=CustomerFacts(desired),
    )

    async def no_wait(seconds: float) -> None:
        return None

    def run_with(client: Client) -> str:
        ops = ApiOperations(client, State(customers={"acme": live}), sleep=no_wait)  # type: ignore[arg-type]
        return asyncio.run(ops.run(change))

    client = Client(losses=2)
    assert run_with(client) == "renamed to 'Acme Corp'"
    assert client.renames == [("org-1", "Acme Corp")] * 3
    assert client.puts == 0
    with pytest.raises(OutcomeUnknown):
        run_with(Client(losses=10))
