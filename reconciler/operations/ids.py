"""The server IDs behind a run's changes (learnt during the run, from the live state, or looked
up by key) and the client methods the operations use."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.errors import JobFailed, NotFound
from reconciler.model import State
from reconciler.operations.calls import PollPolicy

Json = dict[str, Any]

#: Statuses under which the org exists and takes locations and subscribers.
ORG_READY = frozenset({"provisioned", "provisioned_with_errors"})


class Client(Protocol):
    """The ``WebexClient`` methods apply uses (a fake implements these in unit tests)."""

    async def list_customers(
        self, external_id: str | None = None, status: str | None = None
    ) -> list[Json]: ...
    async def get_customer(self, customer_id: str) -> Json: ...
    async def create_customer(self, body: Json) -> str: ...
    async def update_customer(self, customer_id: str, body: Json) -> None: ...
    async def delete_customer(self, customer_id: str) -> None: ...
    async def list_subscribers(
        self, customer_id: str | None = None, email: str | None = None
    ) -> list[Json]: ...
    async def get_subscriber(self, subscriber_id: str) -> Json: ...
    async def create_subscriber(self, body: Json) -> Json: ...
    async def update_subscriber(self, subscriber_id: str, body: Json) -> Json: ...
    async def delete_subscriber(self, subscriber_id: str) -> None: ...
    async def list_locations(self, org_id: str, name: str | None = None) -> list[Json]: ...
    async def create_location(self, org_id: str, body: Json) -> str: ...
    async def update_location(self, location_id: str, org_id: str, body: Json) -> None: ...
    async def delete_location(self, location_id: str, org_id: str) -> None: ...
    async def get_person(self, person_id: str) -> Json: ...
    async def update_person(self, person_id: str, body: Json) -> Json: ...
    async def list_roles(self) -> list[Json]: ...
    async def list_calling_locations(self, org_id: str) -> list[Json]: ...
    async def enable_calling_location(self, org_id: str, body: Json) -> str: ...
    async def list_numbers(self, org_id: str, location_id: str | None = None) -> list[Json]: ...
    async def add_numbers(
        self, location_id: str, org_id: str, numbers: list[str], state: str | None = None
    ) -> None: ...
    async def remove_numbers(self, location_id: str, org_id: str, numbers: list[str]) -> None: ...
    async def move_users(self, org_id: str, body: Json) -> Json: ...
    async def get_move_users_job(self, job_id: str, org_id: str) -> Json: ...
    async def disable_calling_location(
        self, location_id: str, org_id: str, *, name: str | None = None, force: bool = False
    ) -> Json: ...
    async def get_disable_calling_job(self, job_id: str, org_id: str) -> Json: ...
    async def rename_organization(self, org_id: str, display_name: str) -> Json: ...
    async def list_move_users_jobs(self, org_id: str) -> list[Json]: ...
    async def list_disable_calling_jobs(self, org_id: str) -> list[Json]: ...
    async def list_move_users_job_errors(self, job_id: str, org_id: str) -> list[Json]: ...
    async def list_disable_calling_job_errors(self, job_id: str, org_id: str) -> list[Json]: ...
    async def get_pstn_connection(self, location_id: str, org_id: str) -> Json: ...


@dataclass(slots=True)
class CustomerRef:
    id: str
    org_id: str | None
    status: str | None


class ServerIds:
    """The server IDs behind one run's changes: learnt during the run (they win), else from
    the live state the plan was computed from, else looked up through ``client``."""

    def __init__(self, client: Client, live: State) -> None:
        self.client = client
        self.live = live
        #: Server identities learnt in this run (they win over the live state).
        self.customers: dict[str, CustomerRef] = {}
        self.locations: dict[tuple[str, str], str] = {}
        self._lookup_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._roles: dict[str, str] | None = None
        self._roles_lock = asyncio.Lock()

    async def find_customer(self, ext: str) -> Json | None:
        found = await self.client.list_customers(external_id=ext)
        return found[0] if found else None

    async def customer(self, ext: str) -> CustomerRef:
        """The customer's server identity: from this run, the live state, or the API."""
        ref = self.customers.get(ext)
        if ref is not None:
            return ref
        live = self.live.customers.get(ext)
        if live is not None and live.live is not None:
            ref = CustomerRef(live.live.id, live.live.org_id, live.live.status)
        else:
            data = await self.find_customer(ext)
            if data is None:
                raise NotFound(404, f"customer {ext} does not exist in Partner Hub")
            ref = CustomerRef(data["id"], data.get("orgId"), data.get("status"))
        self.customers[ext] = ref
        return ref

    async def org(self, ext: str) -> tuple[str, str]:
        """(customer id, org id) of a customer ready for locations and users, else JobFailed."""
        ref = await self.customer(ext)
        if not ref.org_id or ref.status not in ORG_READY:
            data = await self.client.get_customer(ref.id)
            ref = CustomerRef(ref.id, data.get("orgId"), data.get("status"))
            self.customers[ext] = ref
        if not ref.org_id or ref.status not in ORG_READY:
            raise JobFailed(
                f"customer {ext} is {ref.status or 'not ready'}: its locations and users start "
                "only once it is provisioned"
            )
        return ref.id, ref.org_id

    async def find_location(self, org_id: str, name: str) -> str | None:
        """The ID of the org's location with exactly this name (the API filter matches
        parts of names, case-insensitively)."""
        found = await self.client.list_locations(org_id, name=name)
        exact = [loc for loc in found if loc.get("name") == name]
        return str(exact[0]["id"]) if exact else None

    async def location_id(self, ext: str, name: str, org_id: str) -> str:
        """A location's ID: from this run, the live state, or one shared lookup."""
        cached = self.locations.get((ext, name))
        if cached:
            return cached
        live = self.live.locations.get((ext, name))
        if live is not None and live.live is not None:
            self.locations[(ext, name)] = live.live.id
            return live.live.id
        # Many users of one customer ask at once: one lookup per location, shared.
        async with self._lookup_locks.setdefault((ext, name), asyncio.Lock()):
            cached = self.locations.get((ext, name))
            if cached:
                return cached
            found = await self.find_location(org_id, name)
            if found is None:
                raise NotFound(404, f"location {name!r} of customer {ext} does not exist")
            self.locations[(ext, name)] = found
            return found

    async def role_ids(self, names: tuple[str, ...]) -> list[str]:
        if not names:
            return []
        async with self._roles_lock:
            if self._roles is None:
                self._roles = {r["name"]: r["id"] for r in await self.client.list_roles()}
        missing = [n for n in names if n not in self._roles]
        if missing:
            raise JobFailed(f"unknown role(s) {', '.join(missing)} (not in GET /roles)")
        return [self._roles[n] for n in names]


class Paced:
    """The part every operation that waits shares: the server IDs, and the poll policy, clock
    and sleep that pace its waits (seams: tests pass a fake clock)."""

    def __init__(
        self,
        ids: ServerIds,
        *,
        poll: PollPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ids = ids
        self.poll = poll or PollPolicy()
        self.clock, self.sleep = clock, sleep
