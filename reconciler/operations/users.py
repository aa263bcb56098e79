"""User changes: ``/wholesale/subscribers`` for the package, the People API for the rest.

Create: ``POST /wholesale/subscribers`` (the package; names, phone, extension and location as
provisioning parameters), then, once the subscriber has a ``personId``, names, numbers,
location and roles through the People API: ``GET`` the person, and a full ``PUT`` only if
something differs. The People calls are skipped when the POST made a new person from those
parameters and there are no roles to grant (half the requests of a bulk load). Update of the
person: the full ``PUT`` starts from the person as the plan's live read listed it, kept whole
for the users it updates, so no GET goes before it; the person is read again where something
earlier in the same change moved it on (a package change, which changes its licenses, or a
move job), and where the read did not keep it. Package change:
``PUT /wholesale/subscribers/{id}``. Delete: ``DELETE``; one already gone is done.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler import bodies, calling_bodies
from reconciler.errors import JobFailed, NotFound, PlanError
from reconciler.model import User
from reconciler.operations.calling import CallingOperations
from reconciler.operations.calls import create_once, pause_of, same
from reconciler.operations.ids import Json, ServerIds
from reconciler.plan import Change, UserFacts

PERSON_FIELDS = ("firstName", "lastName", "phoneNumbers", "extension", "locationId", "roles")


class UserOperations:
    def __init__(
        self, ids: ServerIds, calling: CallingOperations, people: Mapping[str, Json] | None = None
    ) -> None:
        self.ids = ids
        self.calling = calling
        #: Persons as the live read listed them (id → the fields a full PUT carries).
        self.people = dict(people or {})

    async def _find(self, customer_id: str, email: str) -> Json | None:
        found = await self.ids.client.list_subscribers(customer_id=customer_id, email=email)
        match = [s for s in found if str(s.get("email", "")).lower() == email.lower()]
        return match[0] if match else None

    async def _location(self, user: User, org_id: str) -> str | None:
        if user.location is None:
            return None
        return await self.ids.location_id(user.customer, user.location, org_id)

    async def create(self, change: Change) -> str:
        ids, ext, email = self.ids, change.customer, change.name or ""
        customer_id, org_id = await ids.org(ext)
        facts = _facts(change)
        user = facts.user
        assert user is not None  # checked by _facts
        location_id = await self._location(user, org_id)
        body = bodies.for_change(change, customer_id=customer_id, location_id=location_id)
        subscriber, note = await create_once(
            lambda: ids.client.create_subscriber(body),
            lambda: self._find(customer_id, email),
            pause=pause_of(ids.client),
        )
        person_id = subscriber.get("personId")
        if not person_id:
            status = subscriber.get("status")
            return (
                f"subscriber created ({status}); names, numbers, location and roles follow "
                "once it has a person (a later apply)" + note
            )
        if not note and self._person_made_from_post(facts, subscriber):
            return "created"
        changed = await self._sync_person(str(person_id), user, location_id)
        return ("created; person updated" if changed else "created") + note

    def _person_made_from_post(self, facts: UserFacts, subscriber: Json) -> bool:
        """True when the POST itself set everything the People API would: a new person made
        from the provisioning parameters (names, number, extension, location) and no roles to
        grant. An existing person (the customer's admin, made by provisioning) keeps its own
        values, so it is read and updated."""
        if (facts.user is not None and facts.user.roles) or subscriber.get(
            "status"
        ) != "provisioned":
            return False
        return not facts.customer_admin

    async def update(self, change: Change) -> str:
        ids, ext, email = self.ids, change.customer, change.name or ""
        customer_id, org_id = await ids.org(ext)
        user = _facts(change).user
        assert user is not None  # checked by _facts
        live = ids.live.users.get((ext, email.lower()))
        subscriber: Json | None
        if live is not None and live.live is not None:
            subscriber = {"id": live.live.id, "personId": live.live.person_id}
        else:
            subscriber = await self._find(customer_id, email)
        if subscriber is None:
            raise NotFound(404, f"subscriber {email} of customer {ext} does not exist")
        fields = {f.field for f in change.fields}
        location_id = await self._location(user, org_id)
        done: list[str] = []
        if "package" in fields:
            body = bodies.for_change(change, location_id=location_id)
            updated = await ids.client.update_subscriber(str(subscriber["id"]), body)
            subscriber = {**subscriber, **{k: v for k, v in updated.items() if v}}
            done.append("package changed")
        if fields - {"package"}:
            person_id = subscriber.get("personId")
            if not person_id:
                raise JobFailed(f"subscriber {email} has no person yet (pending_user_migration?)")
            moved = _facts(change).moves and location_id is not None
            if moved and location_id is not None:
                done.append(await self._move(change, str(person_id), user, org_id, location_id))
            # as listed, unless this change has changed the person since (licenses, location)
            listed = self.people.pop(str(person_id), None)
            as_read = None if "package" in fields or moved else listed
            if await self._sync_person(str(person_id), user, location_id, as_read):
                done.append("person updated")
        return "; ".join(done) or "already up to date"

    async def _move(
        self, change: Change, person_id: str, user: User, org_id: str, location_id: str
    ) -> str:
        """Move a calling user with the move-users job, unless the person is already there
        (a job of an interrupted run that finished)."""
        person = await self.ids.client.get_person(person_id)
        if person.get("locationId") == location_id:
            return "already at its location"
        # an unchanged number is left out: the job moves it along with the user
        number = _facts(change).sets_number
        body = calling_bodies.move_user(person_id, location_id, number, user.extension)
        try:
            await self.calling.move(change, org_id, body)
        except JobFailed:
            # a job an interrupted run started may have moved it meanwhile
            again = await self.ids.client.get_person(person_id)
            if again.get("locationId") != location_id:
                raise
            return "moved (by an earlier move-users job)"
        return "moved (move-users job)"

    async def _sync_person(
        self, person_id: str, user: User, location_id: str | None, person: Json | None = None
    ) -> bool:
        """PUT the person back in full with the user's fields, if any differ: ``person`` as
        the live read listed it, else as a GET reads it now."""
        if person is None:
            person = await self.ids.client.get_person(person_id)
        role_ids = await self.ids.role_ids(user.roles)
        wanted = bodies.person_update(person, user, location_id=location_id, role_ids=role_ids)
        if all(same(person.get(k), wanted.get(k)) for k in PERSON_FIELDS):
            return False
        await self.ids.client.update_person(person_id, wanted)
        return True

    async def delete(self, change: Change) -> str:
        ids, ext, email = self.ids, change.customer, change.name or ""
        live = ids.live.users.get((ext, email.lower()))
        subscriber_id = live.live.id if live is not None and live.live is not None else None
        if subscriber_id is None:
            customer_id = (await ids.customer(ext)).id
            found = await self._find(customer_id, email)
            if found is None:
                return "already gone"
            subscriber_id = str(found["id"])
        try:
            await ids.client.delete_subscriber(subscriber_id)
        except NotFound:
            return "already gone"
        return "deleted"


def _facts(change: Change) -> UserFacts:
    facts = bodies.facts_of(change, UserFacts)
    if facts.user is None:
        raise PlanError(f"{change.action} {change.address}: no desired user")
    return facts
