"""Location changes: ``POST``/``PUT``/``DELETE /locations?orgId=``.

A location named as the customer's headquarters is looked up first (the customer's
provisioning creates it) and updated, never created twice. An update finds the live location
by its name or, for a rename, its old name. A delete of a location already gone is done.
"""

from __future__ import annotations

from reconciler import bodies
from reconciler.errors import NotFound
from reconciler.operations.context import Context, create_once
from reconciler.plan import Change


class LocationOperations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def create(self, change: Change) -> str:
        ctx, ext, name = self.ctx, change.customer, change.name or ""
        _, org_id = await ctx.org(ext)
        location = ctx.desired_location(ext, name)
        if ctx.desired_customer(ext).headquarters == name:
            existing = await ctx.find_location(org_id, name)
            if existing is not None:
                # Created by the customer's provisioning: bring it in line, never create it.
                ctx.locations[(ext, name)] = existing
                await ctx.client.update_location(existing, org_id, bodies.location_update(location))
                return "headquarters found (created by provisioning); updated"
        body = bodies.location_create(location)
        location_id, note = await create_once(
            lambda: ctx.client.create_location(org_id, body),
            lambda: ctx.find_location(org_id, name),
        )
        ctx.locations[(ext, name)] = location_id
        return "created" + note

    def _live_id(self, change: Change) -> str | None:
        """The live location behind an update: by its name, or the old name of a rename."""
        ext, name = change.customer, change.name or ""
        names = [name]
        for f in change.fields:
            if f.field == "name" and isinstance(f.before, str):
                names.insert(0, f.before)
        for n in names:
            live = self.ctx.live.locations.get((ext, n))
            if live is not None and live.live is not None:
                return live.live.id
        return None

    async def update(self, change: Change) -> str:
        ctx, ext, name = self.ctx, change.customer, change.name or ""
        _, org_id = await ctx.org(ext)
        location_id = self._live_id(change)
        if location_id is None:
            old = next((f.before for f in change.fields if f.field == "name"), None)
            if old:
                location_id = await ctx.find_location(org_id, str(old))
            if location_id is None:
                location_id = await ctx.location_id(ext, name, org_id)
        await ctx.client.update_location(
            location_id, org_id, bodies.location_update(ctx.desired_location(ext, name))
        )
        ctx.locations[(ext, name)] = location_id
        return "updated"

    async def delete(self, change: Change) -> str:
        ctx, ext, name = self.ctx, change.customer, change.name or ""
        _, org_id = await ctx.org(ext)
        try:
            location_id = await ctx.location_id(ext, name, org_id)
            await ctx.client.delete_location(location_id, org_id)
        except NotFound:
            return "already gone"
        ctx.locations.pop((ext, name), None)
        return "deleted"
