"""Location changes: ``POST``/``PUT``/``DELETE /locations?orgId=``.

A location named as the customer's headquarters is looked up first (the customer's
provisioning creates it) and updated, never created twice. An update finds the live location
by its name or, for a rename, its old name. A delete of a location already gone is done.

Webex may not enforce unique location names in an org, and two applies racing can both create
one: after a create, the org's locations of that name are listed again, and a second one fails
the change (``DuplicateFound``, naming both IDs), so the run exits 1 instead of leaving a
duplicate unnoticed.
"""

from __future__ import annotations

from reconciler import bodies
from reconciler.errors import DuplicateFound, NotFound
from reconciler.operations.calls import create_once, pause_of
from reconciler.operations.ids import ServerIds
from reconciler.plan import Change, LocationFacts


class LocationOperations:
    def __init__(self, ids: ServerIds) -> None:
        self.ids = ids

    async def create(self, change: Change) -> str:
        ids, ext, name = self.ids, change.customer, change.name or ""
        _, org_id = await ids.org(ext)
        body = bodies.for_change(change)
        if bodies.facts_of(change, LocationFacts).headquarters:
            existing = await ids.find_location(org_id, name)
            if existing is not None:
                # Created by the customer's provisioning: bring it in line, never create it.
                ids.locations[(ext, name)] = existing
                update = bodies.for_change(change, action="update")
                await ids.client.update_location(existing, org_id, update)
                return "headquarters found (created by provisioning); updated"
        location_id, note = await create_once(
            lambda: ids.client.create_location(org_id, body),
            lambda: ids.find_location(org_id, name),
            pause=pause_of(ids.client),
        )
        ids.locations[(ext, name)] = location_id
        await self._check_unique(org_id, ext, name, location_id)
        return "created" + note

    async def _check_unique(self, org_id: str, ext: str, name: str, location_id: str) -> None:
        """Raise ``DuplicateFound`` when another location of the org has this exact name."""
        found = await self.ids.client.list_locations(org_id, name=name)
        others = sorted({str(loc.get("id")) for loc in found} - {location_id})
        if others:
            raise DuplicateFound(
                f"{len(others) + 1} locations named {name!r} now exist in {ext} (ids "
                f"{', '.join(sorted([location_id, *others]))}): Webex did not refuse the second "
                "(another run created it at the same time?); delete one in Partner Hub"
            )

    def _live_id(self, change: Change, previous_name: str | None) -> str | None:
        """The live location behind an update: by the old name of a rename, or its name."""
        for n in (previous_name, change.name):
            live = self.ids.live.locations.get((change.customer, n or ""))
            if n is not None and live is not None and live.live is not None:
                return live.live.id
        return None

    async def update(self, change: Change) -> str:
        ids, ext, name = self.ids, change.customer, change.name or ""
        _, org_id = await ids.org(ext)
        body = bodies.for_change(change)
        old = bodies.facts_of(change, LocationFacts).previous_name
        location_id = self._live_id(change, old)
        if location_id is None:
            if old:
                location_id = await ids.find_location(org_id, old)
            if location_id is None:
                location_id = await ids.location_id(ext, name, org_id)
        await ids.client.update_location(location_id, org_id, body)
        ids.locations[(ext, name)] = location_id
        return "updated"

    async def delete(self, change: Change) -> str:
        ids, ext, name = self.ids, change.customer, change.name or ""
        _, org_id = await ids.org(ext)
        try:
            location_id = await ids.location_id(ext, name, org_id)
            await ids.client.delete_location(location_id, org_id)
        except NotFound:
            return "already gone"
        ids.locations.pop((ext, name), None)
        return "deleted"
