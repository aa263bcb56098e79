"""Waiting for the numbers a location's PSTN provider supplies.

With Cisco Calling Plans or an integrated cloud-connected PSTN provider, a location's numbers
reach its inventory from the provider once calling is enabled there, never by a partner's
API call, and a subscriber whose number is not in its location's inventory is refused
(errorCode 27966). A user change the plan marked ``UserFacts.provider_number`` therefore
waits, before anything is sent, until its number is listed at its location
(``GET /telephony/config/numbers?locationId=``), polling with the ``PollPolicy`` intervals.

The deadline (``PollPolicy.numbers_deadline``) counts per location from the first user that
waits there, and the users of one location share their listings (one request per interval,
however many wait), so twelve users of a provider that never delivers cost one deadline, not
twelve. A number still missing at the deadline fails its change with one message naming the
number, the location and its provider; nothing is sent, and a re-run converges once the
provider has delivered (the plan then checks the inventory itself).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import JobFailed
from reconciler.operations.ids import Paced, ServerIds
from reconciler.plan import Change, UserFacts


@dataclass(slots=True)
class _Location:
    """One location's shared wait: when it started, the last listing and when it was read."""

    started: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    listed: frozenset[str] = frozenset()
    read_at: float | None = None


class ProviderNumbers(Paced):
    """Waits for provider-supplied numbers before the user changes that take them."""

    def __init__(self, ids: ServerIds, **pace: Any) -> None:
        super().__init__(ids, **pace)
        self._locations: dict[tuple[str, str], _Location] = {}

    async def wait(self, change: Change) -> str:
        """Return once ``change``'s number is in its location's inventory (a note for the
        result: empty when it was there at once); JobFailed at the deadline."""
        facts = change.facts
        if not isinstance(facts, UserFacts) or not facts.provider_number:
            return ""
        user, number = facts.user, facts.sets_number
        if user is None or user.location is None or not number:
            return ""
        _, org_id = await self.ids.org(change.customer)
        location_id = await self.ids.location_id(change.customer, user.location, org_id)
        shared = self._locations.setdefault((org_id, location_id), _Location(self.clock()))
        for wait in self.poll.intervals():
            if number in await self._listed(shared, org_id, location_id):
                waited = self.clock() - shared.started
                if waited <= 0:
                    return ""
                return f" (its number arrived from the PSTN provider after {waited:.0f} s)"
            waited = self.clock() - shared.started
            if waited + wait > self.poll.numbers_deadline:
                raise JobFailed(
                    f"phoneNumber {number} is not in the number inventory of location "
                    f"'{user.location}' after {waited:.0f} s (deadline "
                    f"{self.poll.numbers_deadline:g} s): the location's PSTN provider supplies "
                    "its numbers once calling is enabled there, and none of the partner's "
                    "calls can add it; the user was not sent. Have the provider assign it to "
                    "the location (or correct the user's phoneNumber), then re-run apply"
                )
            await self.sleep(wait)
        raise AssertionError("PollPolicy.intervals never ends")  # pragma: no cover

    async def _listed(self, shared: _Location, org_id: str, location_id: str) -> frozenset[str]:
        """The location's inventory, listed again unless a waiter did so within the shortest
        interval (the users of one location wake together)."""
        async with shared.lock:
            now = self.clock()
            if shared.read_at is None or now - shared.read_at >= self.poll.initial:
                found = await self.ids.client.list_numbers(org_id, location_id)
                shared.listed = frozenset(str(n.get("phoneNumber")) for n in found)
                shared.read_at = self.clock()
            return shared.listed
