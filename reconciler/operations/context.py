"""What every kind of change shares: the client, the desired and live states, the server IDs
learnt during the run, and the create-once rule for POSTs whose outcome is unknown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from reconciler import bodies
from reconciler.errors import (
    ApiError,
    Conflict,
    JobFailed,
    NotFound,
    OutcomeUnknown,
    PlanError,
    ServerError,
)
from reconciler.model import (
    CUSTOMER_BAD_ENDINGS,
    CUSTOMER_IN_FLIGHT,
    Customer,
    Location,
    State,
    User,
)

Json = dict[str, Any]
T = TypeVar("T")

IN_FLIGHT = CUSTOMER_IN_FLIGHT
#: Statuses under which the org exists and takes locations and subscribers.
ORG_READY = frozenset({"provisioned", "provisioned_with_errors"})
BAD_ENDINGS = CUSTOMER_BAD_ENDINGS
#: A POST failure after which the object may or may not exist: look it up by its key.
UNCERTAIN = (OutcomeUnknown, Conflict, ServerError)


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


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How apply waits for asynchronous customer provisioning."""

    initial: float = 1.0
    factor: float = 1.5
    max_interval: float = 15.0
    #: Real provisioning takes seconds to minutes; a job still running after this is reported
    #: (JobTimeout) and picked up by the next run, which sees it in flight.
    deadline: float = 900.0

    def intervals(self) -> Iterator[float]:
        wait = self.initial
        while True:
            yield wait
            wait = min(wait * self.factor, self.max_interval)


@dataclass(slots=True)
class CustomerRef:
    id: str
    org_id: str | None
    status: str | None


class Context:
    """Shared by the customer, location and user operations of one run."""

    def __init__(
        self,
        client: Client,
        desired: State,
        live: State,
        *,
        poll: PollPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.desired = desired
        self.live = live
        self.poll = poll or PollPolicy()
        self.clock = clock
        self.sleep = sleep
        #: Server identities learnt in this run (they win over the live state).
        self.customers: dict[str, CustomerRef] = {}
        self.locations: dict[tuple[str, str], str] = {}
        self._lookup_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._roles: dict[str, str] | None = None
        self._roles_lock = asyncio.Lock()

    # -- the desired objects behind a change -------------------------------------------

    def desired_customer(self, ext: str) -> Customer:
        customer = self.desired.customers.get(ext)
        if customer is None:
            raise PlanError(f"customer {ext} is not in the desired state")
        return customer

    def desired_location(self, ext: str, name: str) -> Location:
        location = self.desired.locations.get((ext, name))
        if location is None:
            raise PlanError(f"location {name!r} of {ext} is not in the desired state")
        return location

    def desired_user(self, ext: str, email: str) -> User:
        user = self.desired.users.get((ext, email.lower()))
        if user is None:
            raise PlanError(f"user {email} of {ext} is not in the desired state")
        return user

    def customer_body(self, ext: str, *, create: bool) -> Json:
        """The POST (``create``) or PUT body of a desired customer, with its headquarters."""
        customer = self.desired_customer(ext)
        hq = (
            self.desired.locations.get((ext, customer.headquarters))
            if customer.headquarters
            else None
        )
        if create:
            template = self.desired.templates.get(customer.template or "")
            if template is None or not template.provisioning_id:
                raise PlanError(f"template {customer.template!r} has no provisioningId")
            return bodies.customer_create(
                customer, provisioning_id=template.provisioning_id, headquarters=hq
            )
        return bodies.customer_update(customer, headquarters=hq)

    # -- server identities --------------------------------------------------------------

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


async def create_once(
    post: Callable[[], Awaitable[T]], find: Callable[[], Awaitable[T | None]]
) -> tuple[T, str]:
    """POST a create whose outcome may be unknown, never making the object twice.

    On an uncertain failure (connection lost after sending, 5xx, 409) the object is looked up
    by its key (``find``): adopted if there; a 409 without it is raised; otherwise the POST is
    retried once, and a second uncertain failure is resolved by one more lookup. Returns the
    result and a note for the change's message (empty when the first POST answered)."""
    try:
        return await post(), ""
    except UNCERTAIN as exc:
        first: ApiError = exc
    found = await find()
    if found is not None:
        return found, f" (adopted after: {short(first)})"
    if isinstance(first, Conflict):
        raise first
    try:
        result = await post()
    except UNCERTAIN:
        again = await find()
        if again is None:
            raise first from None
        result = again
    return result, f" (retried once after: {short(first)})"


def same(a: Any, b: Any) -> bool:
    """Equal as far as the tool manages it: absent, empty and None alike (a full PUT clears
    what it omits), lists as sets, phone numbers by type and value."""
    if isinstance(a, list) or isinstance(b, list):
        return _as_set(a) == _as_set(b)
    return (a or None) == (b or None)


def _as_set(value: Any) -> frozenset[Any]:
    items = value if isinstance(value, list) else []
    return frozenset((i.get("type"), i.get("value")) if isinstance(i, dict) else i for i in items)


def codes(data: Mapping[str, Any]) -> str:
    """`` (code: description; …)`` of a customer's errors, or empty."""
    errors = data.get("errors") or []
    found = [f"{e.get('errorCode')}: {e.get('description')}" for e in errors if isinstance(e, dict)]
    return f" ({'; '.join(found)})" if found else ""


def short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
