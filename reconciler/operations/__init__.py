"""One plan change → the Partner Hub calls that make it true (``ApiOperations.run``).

Built from the live State the plan was computed from (server IDs) and a ``WebexClient``; the
request bodies come from the facts each change carries (:func:`reconciler.bodies.for_change`).
One module per kind of change: ``customers`` (create/update/delete and waiting for the
provisioning job), ``locations``, ``users`` and ``calling`` (calling and number steps, the
telephony jobs), ``provider`` (a user's number the PSTN provider supplies is waited for
before the user is sent); ``ids`` resolves server IDs (learnt during the
run, from the live state, or looked up by key), ``calls`` holds the create-once rule and the
poll policy.

- Locations and users start only once their customer has an organization and is not in flight
  (the plan orders them after the customer; ``ServerIds.org`` checks it again against the API).
- A create whose outcome is unknown (connection lost after sending, 5xx) or that conflicts
  (409: the key exists) is resolved by looking the object up by its key — externalId, email,
  location name: adopted if there, the POST sent again (after the client's backoff) if not, for
  as long as the server answers the lookups, up to ``calls.CREATE_ATTEMPTS`` POSTs. Nothing is
  ever created twice.
- A delete of something already gone is done.

Polling waits ``PollPolicy.initial`` seconds, growing by ``factor`` up to ``max_interval``,
and gives up with ``JobTimeout`` after ``deadline`` seconds; clock and sleep are injected.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Protocol

from reconciler.model import State
from reconciler.operations.calling import CallingOperations
from reconciler.operations.calls import PollPolicy
from reconciler.operations.customers import CustomerOperations
from reconciler.operations.ids import ORG_READY, Client, Json, ServerIds
from reconciler.operations.locations import LocationOperations
from reconciler.operations.provider import ProviderNumbers
from reconciler.operations.users import UserOperations
from reconciler.plan import Change

__all__ = [
    "ORG_READY",
    "ApiOperations",
    "Client",
    "PollPolicy",
]


class KindOperations(Protocol):
    """The three actions on one kind of object."""

    async def create(self, change: Change) -> str: ...
    async def update(self, change: Change) -> str: ...
    async def delete(self, change: Change) -> str: ...


class ApiOperations:
    """``Operations`` for ``reconciler.apply.apply_plan`` against a Partner Hub client."""

    def __init__(
        self,
        client: Client,
        live: State,
        *,
        poll: PollPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        people: Mapping[str, Json] | None = None,
    ) -> None:
        """``people``: persons read whole by the plan's live read (id → the fields a full
        PUT carries), which a user update PUTs back without GETting them again."""
        self.ids = ServerIds(client, live)
        self.customers = CustomerOperations(self.ids, poll=poll, clock=clock, sleep=sleep)
        self.locations = LocationOperations(self.ids)
        self.calling = CallingOperations(self.ids, poll=poll, clock=clock, sleep=sleep)
        self.users = UserOperations(self.ids, self.calling, people)
        self.provider = ProviderNumbers(self.ids, poll=poll, clock=clock, sleep=sleep)

    async def run(self, change: Change) -> str:
        kinds: dict[str, KindOperations] = {
            "customer": self.customers,
            "location": self.locations,
            "user": self.users,
            "calling": self.calling,
            "number": self.calling,
        }
        operations = kinds[change.kind]
        handler = {
            "create": operations.create,
            "update": operations.update,
            "delete": operations.delete,
        }[change.action]
        # a number the PSTN provider supplies must be in the inventory before the user is sent
        waited = await self.provider.wait(change) if change.kind == "user" else ""
        return await handler(change) + waited

    async def settle(self, externals: Collection[str]) -> None:
        """Wait (concurrently, within the poll deadline) until none of these customers is in
        flight any more: a run after an interruption finds the jobs it started still going,
        and waiting for them lets this run plan their locations and users too."""
        await self.customers.wait_idle(externals)
