"""One plan change → the Partner Hub calls that make it true (``ApiOperations.run``).

Built from the desired State (the full objects behind each change), the live State the plan
was computed from (server IDs), and a ``WebexClient``. What each change does:

- customer create: ``POST /wholesale/customers`` (202), then poll ``GET`` until ``provisioned``;
  the headquarters location travels in ``provisioningParameters.calling`` and is created by
  the provisioning itself. customer update: ``PUT`` (202) then poll. delete: ``DELETE`` then
  poll until the customer is gone. A provisioning that ends in ``error`` or
  ``provisioned_with_errors`` is retried once with a ``PUT`` of the same packages (Webex's
  advice for its maintenance error 2560 is to retry later); a second bad ending fails the change.
  Only ``provisioned`` counts as done.
- location create/update/delete: ``/locations?orgId=``. A location named as the customer's
  headquarters is looked up first (provisioning creates it) and updated, never created twice.
- user create: ``POST /wholesale/subscribers`` (the package; names, phone, extension and
  location as provisioning parameters), then, once the subscriber has a ``personId``, names,
  numbers, location and roles through the People API: ``GET`` the person, and a full ``PUT``
  only if something differs. The People calls are skipped when the POST made a new person
  from those parameters and there are no roles to grant (half the requests of a bulk load).
  Package change: ``PUT /wholesale/subscribers/{id}``. Delete: ``DELETE``.
- Locations and users start only once their customer has an organization and is not in flight
  (the plan orders them after the customer; ``_org`` checks it again against the API).
- A create whose outcome is unknown (connection lost after sending, 5xx) or that conflicts
  (409: the key exists) is resolved by looking the object up by its key — externalId, email,
  location name: adopted if there, the POST retried once if not. Nothing is ever created twice.
- A delete of something already gone is done.

Polling waits ``PollPolicy.initial`` seconds, growing by ``factor`` up to ``max_interval``,
and gives up with ``JobTimeout`` after ``deadline`` seconds; clock and sleep are injected.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler import bodies
from reconciler.errors import (
    ApiError,
    Conflict,
    JobFailed,
    JobTimeout,
    NotFound,
    OutcomeUnknown,
    PlanError,
    ServerError,
)
from reconciler.model import CALLING_USER_PACKAGES, Customer, Location, State, User
from reconciler.plan import Change

Json = dict[str, Any]

#: Customer statuses that mean "Partner Hub is still working on it".
IN_FLIGHT = frozenset({"provisioning", "updating", "deleting"})
#: Statuses under which the org exists and takes locations and subscribers.
ORG_READY = frozenset({"provisioned", "provisioned_with_errors"})
#: Final statuses of a provisioning that did not fully succeed.
BAD_ENDINGS = frozenset({"error", "provisioned_with_errors"})
#: A POST failure after which the object may or may not exist: look it up by its key.
UNCERTAIN = (OutcomeUnknown, Conflict, ServerError)

PERSON_FIELDS = ("firstName", "lastName", "phoneNumbers", "extension", "locationId", "roles")


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

    def intervals(self) -> Any:
        wait = self.initial
        while True:
            yield wait
            wait = min(wait * self.factor, self.max_interval)


@dataclass(slots=True)
class _CustomerRef:
    id: str
    org_id: str | None
    status: str | None


class ApiOperations:
    """``Operations`` for ``reconciler.apply.apply_plan`` against a Partner Hub client."""

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
        self._customers: dict[str, _CustomerRef] = {}
        self._locations: dict[tuple[str, str], str] = {}
        self._lookup_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._roles: dict[str, str] | None = None
        self._roles_lock = asyncio.Lock()

    async def run(self, change: Change) -> str:
        handler = {
            ("create", "customer"): self._create_customer,
            ("update", "customer"): self._update_customer,
            ("delete", "customer"): self._delete_customer,
            ("create", "location"): self._create_location,
            ("update", "location"): self._update_location,
            ("delete", "location"): self._delete_location,
            ("create", "user"): self._create_user,
            ("update", "user"): self._update_user,
            ("delete", "user"): self._delete_user,
        }[(change.action, change.kind)]
        return await handler(change)

    # -- lookups ------------------------------------------------------------------------

    def _desired_customer(self, ext: str) -> Customer:
        customer = self.desired.customers.get(ext)
        if customer is None:
            raise PlanError(f"customer {ext} is not in the desired state")
        return customer

    def _desired_location(self, ext: str, name: str) -> Location:
        location = self.desired.locations.get((ext, name))
        if location is None:
            raise PlanError(f"location {name!r} of {ext} is not in the desired state")
        return location

    def _desired_user(self, ext: str, email: str) -> User:
        user = self.desired.users.get((ext, email.lower()))
        if user is None:
            raise PlanError(f"user {email} of {ext} is not in the desired state")
        return user

    async def _find_customer(self, ext: str) -> Json | None:
        found = await self.client.list_customers(external_id=ext)
        return found[0] if found else None

    async def _customer(self, ext: str) -> _CustomerRef:
        """The customer's server identity: from this run, the live state, or the API."""
        ref = self._customers.get(ext)
        if ref is not None:
            return ref
        live = self.live.customers.get(ext)
        if live is not None and live.live is not None:
            ref = _CustomerRef(live.live.id, live.live.org_id, live.live.status)
        else:
            data = await self._find_customer(ext)
            if data is None:
                raise NotFound(404, f"customer {ext} does not exist in Partner Hub")
            ref = _CustomerRef(data["id"], data.get("orgId"), data.get("status"))
        self._customers[ext] = ref
        return ref

    async def _org(self, ext: str) -> tuple[str, str]:
        """(customer id, org id) of a customer ready for locations and users, else JobFailed."""
        ref = await self._customer(ext)
        if not ref.org_id or ref.status not in ORG_READY:
            data = await self.client.get_customer(ref.id)
            ref = _CustomerRef(ref.id, data.get("orgId"), data.get("status"))
            self._customers[ext] = ref
        if not ref.org_id or ref.status not in ORG_READY:
            raise JobFailed(
                f"customer {ext} is {ref.status or 'not ready'}: its locations and users start "
                "only once it is provisioned"
            )
        return ref.id, ref.org_id

    async def _location_id(self, ext: str, name: str, org_id: str) -> str:
        cached = self._locations.get((ext, name))
        if cached:
            return cached
        live = self.live.locations.get((ext, name))
        if live is not None and live.live is not None:
            self._locations[(ext, name)] = live.live.id
            return live.live.id
        # Many users of one customer ask at once: one lookup per location, shared.
        async with self._lookup_locks.setdefault((ext, name), asyncio.Lock()):
            cached = self._locations.get((ext, name))
            if cached:
                return cached
            found = await self.client.list_locations(org_id, name=name)
            if not found:
                raise NotFound(404, f"location {name!r} of customer {ext} does not exist")
            location_id: str = found[0]["id"]
            self._locations[(ext, name)] = location_id
            return location_id

    async def _role_ids(self, names: tuple[str, ...]) -> list[str]:
        if not names:
            return []
        async with self._roles_lock:
            if self._roles is None:
                self._roles = {r["name"]: r["id"] for r in await self.client.list_roles()}
        missing = [n for n in names if n not in self._roles]
        if missing:
            raise JobFailed(f"unknown role(s) {', '.join(missing)} (not in GET /roles)")
        return [self._roles[n] for n in names]

    # -- customers ----------------------------------------------------------------------

    def _customer_body(self, ext: str, *, create: bool) -> Json:
        customer = self._desired_customer(ext)
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

    async def _create_customer(self, change: Change) -> str:
        ext = change.customer
        body = self._customer_body(ext, create=True)
        note = ""
        try:
            customer_id = await self.client.create_customer(body)
        except UNCERTAIN as exc:
            found = await self._find_customer(ext)
            if found is not None:
                customer_id, note = found["id"], f" (adopted after: {_short(exc)})"
            elif isinstance(exc, Conflict):
                raise
            else:
                customer_id = await self._create_customer_again(ext, body, exc)
                note = f" (retried once after: {_short(exc)})"
        return await self._settle(ext, customer_id, "created") + note

    async def _create_customer_again(self, ext: str, body: Json, first: ApiError) -> str:
        try:
            return await self.client.create_customer(body)
        except UNCERTAIN:
            found = await self._find_customer(ext)
            if found is None:
                raise first from None
            customer_id: str = found["id"]
            return customer_id

    async def _update_customer(self, change: Change) -> str:
        ext = change.customer
        ref = await self._customer(ext)
        await self.client.update_customer(ref.id, self._customer_body(ext, create=False))
        return await self._settle(ext, ref.id, "updated")

    async def _settle(self, ext: str, customer_id: str, verb: str) -> str:
        """Wait for the job; retry a bad ending once with a PUT; record the org."""
        started = self.clock()
        data = await self._wait_customer(ext, customer_id)
        retried = ""
        if data.get("status") in BAD_ENDINGS:
            await self.client.update_customer(customer_id, self._customer_body(ext, create=False))
            retried = f"; retried after {data.get('status')}"
            data = await self._wait_customer(ext, customer_id)
        status = data.get("status")
        if status != "provisioned":
            raise JobFailed(f"customer {ext} ended {status}{_codes(data)}{retried}")
        self._customers[ext] = _CustomerRef(customer_id, data.get("orgId"), status)
        return f"{verb}; provisioned in {self.clock() - started:.1f} s{retried}"

    async def _wait_customer(self, ext: str, customer_id: str) -> Json:
        """Poll until the customer's status is final (anything but in flight)."""
        start = self.clock()
        for wait in self.poll.intervals():
            try:
                data = await self.client.get_customer(customer_id)
            except NotFound:
                raise JobFailed(f"customer {ext} disappeared while provisioning") from None
            status = data.get("status")
            if status not in IN_FLIGHT:
                if status == "pending_rpl_review":
                    raise JobFailed(
                        f"customer {ext} is pending_rpl_review (Denied Party List compliance "
                        "check): re-run apply once Partner Hub has cleared it"
                    )
                return data
            if self.clock() - start + wait > self.poll.deadline:
                raise JobTimeout(
                    f"customer {ext} still {status} after {self.clock() - start:.0f} s "
                    f"(deadline {self.poll.deadline:g} s); re-run apply to pick it up"
                )
            await self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def settle(self, externals: Collection[str]) -> None:
        """Wait (concurrently, within the poll deadline) until none of these customers is in
        flight any more: a run after an interruption finds the jobs it started still going,
        and waiting for them lets this run plan their locations and users too."""

        async def one(ext: str) -> None:
            ref = await self._customer(ext)
            start = self.clock()
            for wait in self.poll.intervals():
                if self.clock() - start + wait > self.poll.deadline:
                    return
                await self.sleep(wait)
                try:
                    data = await self.client.get_customer(ref.id)
                except NotFound:
                    return
                if data.get("status") not in IN_FLIGHT:
                    return

        await asyncio.gather(*(one(ext) for ext in sorted(externals)))

    async def _delete_customer(self, change: Change) -> str:
        ext = change.customer
        try:
            ref = await self._customer(ext)
            await self.client.delete_customer(ref.id)
        except NotFound:
            return "already gone"
        start = self.clock()
        for wait in self.poll.intervals():
            try:
                data = await self.client.get_customer(ref.id)
            except NotFound:
                self._customers.pop(ext, None)
                return f"deleted in {self.clock() - start:.1f} s"
            if data.get("status") == "error":
                raise JobFailed(f"customer {ext} delete ended in error{_codes(data)}")
            if self.clock() - start + wait > self.poll.deadline:
                raise JobTimeout(
                    f"customer {ext} still {data.get('status')} after "
                    f"{self.clock() - start:.0f} s; re-run apply to pick it up"
                )
            await self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- locations ----------------------------------------------------------------------

    async def _find_location(self, org_id: str, name: str) -> str | None:
        found = await self.client.list_locations(org_id, name=name)
        return str(found[0]["id"]) if found else None

    async def _create_location(self, change: Change) -> str:
        ext, name = change.customer, change.name or ""
        _, org_id = await self._org(ext)
        location = self._desired_location(ext, name)
        if self._desired_customer(ext).headquarters == name:
            existing = await self._find_location(org_id, name)
            if existing is not None:
                # Created by the customer's provisioning: bring it in line, never create it.
                self._locations[(ext, name)] = existing
                await self.client.update_location(
                    existing, org_id, bodies.location_update(location)
                )
                return "headquarters found (created by provisioning); updated"
        body = bodies.location_create(location)
        try:
            location_id = await self.client.create_location(org_id, body)
            note = ""
        except UNCERTAIN as exc:
            found = await self._find_location(org_id, name)
            if found is not None:
                location_id, note = found, f" (adopted after: {_short(exc)})"
            elif isinstance(exc, Conflict):
                raise
            else:
                try:
                    location_id = await self.client.create_location(org_id, body)
                except UNCERTAIN:
                    again = await self._find_location(org_id, name)
                    if again is None:
                        raise exc from None
                    location_id = again
                note = f" (retried once after: {_short(exc)})"
        self._locations[(ext, name)] = location_id
        return "created" + note

    def _live_location_id(self, change: Change) -> str | None:
        """The live location behind an update: by its name, or the old name of a rename."""
        ext, name = change.customer, change.name or ""
        names = [name]
        for f in change.fields:
            if f.field == "name" and isinstance(f.before, str):
                names.insert(0, f.before)
        for n in names:
            live = self.live.locations.get((ext, n))
            if live is not None and live.live is not None:
                return live.live.id
        return None

    async def _update_location(self, change: Change) -> str:
        ext, name = change.customer, change.name or ""
        _, org_id = await self._org(ext)
        location_id = self._live_location_id(change)
        if location_id is None:
            old = next((f.before for f in change.fields if f.field == "name"), None)
            location_id = await self._find_location(org_id, str(old or name))
            if location_id is None:
                location_id = await self._location_id(ext, name, org_id)
        await self.client.update_location(
            location_id, org_id, bodies.location_update(self._desired_location(ext, name))
        )
        self._locations[(ext, name)] = location_id
        return "updated"

    async def _delete_location(self, change: Change) -> str:
        ext, name = change.customer, change.name or ""
        _, org_id = await self._org(ext)
        try:
            location_id = await self._location_id(ext, name, org_id)
            await self.client.delete_location(location_id, org_id)
        except NotFound:
            return "already gone"
        self._locations.pop((ext, name), None)
        return "deleted"

    # -- users --------------------------------------------------------------------------

    async def _find_subscriber(self, customer_id: str, email: str) -> Json | None:
        found = await self.client.list_subscribers(customer_id=customer_id, email=email)
        match = [s for s in found if str(s.get("email", "")).lower() == email.lower()]
        return match[0] if match else None

    async def _user_location(self, user: User, org_id: str) -> str | None:
        if user.location is None:
            return None
        return await self._location_id(user.customer, user.location, org_id)

    async def _create_user(self, change: Change) -> str:
        ext, email = change.customer, change.name or ""
        customer_id, org_id = await self._org(ext)
        user = self._desired_user(ext, email)
        location_id = await self._user_location(user, org_id)
        body = bodies.subscriber_create(user, customer_id=customer_id, location_id=location_id)
        note = ""
        try:
            subscriber = await self.client.create_subscriber(body)
        except UNCERTAIN as exc:
            found = await self._find_subscriber(customer_id, email)
            if found is not None:
                subscriber, note = found, f" (adopted after: {_short(exc)})"
            elif isinstance(exc, Conflict):
                raise
            else:
                try:
                    subscriber = await self.client.create_subscriber(body)
                except UNCERTAIN:
                    again = await self._find_subscriber(customer_id, email)
                    if again is None:
                        raise exc from None
                    subscriber = again
                note = f" (retried once after: {_short(exc)})"
        person_id = subscriber.get("personId")
        if not person_id:
            status = subscriber.get("status")
            return (
                f"subscriber created ({status}); names, numbers, location and roles follow "
                "once it has a person (a later apply)" + note
            )
        if not note and self._person_made_from_post(user, subscriber):
            return "created"
        changed = await self._sync_person(str(person_id), user, location_id)
        return ("created; person updated" if changed else "created") + note

    def _person_made_from_post(self, user: User, subscriber: Json) -> bool:
        """True when the POST itself set everything the People API would: a new person made
        from the provisioning parameters (names, number, extension, location) and no roles to
        grant. An existing person (the customer's admin, made by provisioning) keeps its own
        values, so it is read and updated."""
        if user.roles or subscriber.get("status") != "provisioned":
            return False
        admin = self._desired_customer(user.customer).admin_email
        return not (admin and admin.lower() == user.email.lower())

    async def _update_user(self, change: Change) -> str:
        ext, email = change.customer, change.name or ""
        customer_id, org_id = await self._org(ext)
        user = self._desired_user(ext, email)
        live = self.live.users.get((ext, email.lower()))
        subscriber: Json | None
        if live is not None and live.live is not None:
            subscriber = {"id": live.live.id, "personId": live.live.person_id}
        else:
            subscriber = await self._find_subscriber(customer_id, email)
        if subscriber is None:
            raise NotFound(404, f"subscriber {email} of customer {ext} does not exist")
        fields = {f.field for f in change.fields}
        location_id = await self._user_location(user, org_id)
        done: list[str] = []
        if "package" in fields:
            was = live.package if live is not None else None
            body = bodies.subscriber_update(
                user,
                location_id=location_id,
                calling_parameters=bodies.is_calling_user(user)
                and was not in CALLING_USER_PACKAGES,
            )
            updated = await self.client.update_subscriber(str(subscriber["id"]), body)
            subscriber = {**subscriber, **{k: v for k, v in updated.items() if v}}
            done.append("package changed")
        if fields - {"package"}:
            person_id = subscriber.get("personId")
            if not person_id:
                raise JobFailed(f"subscriber {email} has no person yet (pending_user_migration?)")
            if await self._sync_person(str(person_id), user, location_id):
                done.append("person updated")
        return "; ".join(done) or "already up to date"

    async def _sync_person(self, person_id: str, user: User, location_id: str | None) -> bool:
        """GET the person and PUT it back in full with the user's fields, if any differ."""
        person = await self.client.get_person(person_id)
        role_ids = await self._role_ids(user.roles)
        wanted = bodies.person_update(person, user, location_id=location_id, role_ids=role_ids)
        if all(_same(person.get(k), wanted.get(k)) for k in PERSON_FIELDS):
            return False
        await self.client.update_person(person_id, wanted)
        return True

    async def _delete_user(self, change: Change) -> str:
        ext, email = change.customer, change.name or ""
        live = self.live.users.get((ext, email.lower()))
        subscriber_id = live.live.id if live is not None and live.live is not None else None
        if subscriber_id is None:
            customer_id = (await self._customer(ext)).id
            found = await self._find_subscriber(customer_id, email)
            if found is None:
                return "already gone"
            subscriber_id = str(found["id"])
        try:
            await self.client.delete_subscriber(subscriber_id)
        except NotFound:
            return "already gone"
        return "deleted"


def _same(a: Any, b: Any) -> bool:
    """Equal as far as the tool manages it: absent, empty and None alike (a full PUT clears
    what it omits), lists as sets, phone numbers by type and value."""
    if isinstance(a, list) or isinstance(b, list):
        return _as_set(a) == _as_set(b)
    return (a or None) == (b or None)


def _as_set(value: Any) -> frozenset[Any]:
    items = value if isinstance(value, list) else []
    return frozenset((i.get("type"), i.get("value")) if isinstance(i, dict) else i for i in items)


def _codes(data: Mapping[str, Any]) -> str:
    errors = data.get("errors") or []
    codes = [f"{e.get('errorCode')}: {e.get('description')}" for e in errors if isinstance(e, dict)]
    return f" ({'; '.join(codes)})" if codes else ""


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
