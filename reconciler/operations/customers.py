"""Customer changes: ``POST``/``PUT``/``DELETE /wholesale/customers`` and waiting for the job.

A create or update answers 202 and is polled until its status is final; only ``provisioned``
counts as done. A provisioning that ends in ``error`` or ``provisioned_with_errors`` is retried
once with a ``PUT`` of the same packages (Webex's advice for its maintenance error 2560 is to
retry later); a second bad ending fails the change. The headquarters location travels in
``provisioningParameters.calling`` and is created by the provisioning itself. A delete is
polled until the customer is gone; one already gone is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from reconciler.errors import JobFailed, JobTimeout, NotFound
from reconciler.operations.context import (
    BAD_ENDINGS,
    IN_FLIGHT,
    Context,
    CustomerRef,
    Json,
    codes,
    create_once,
)
from reconciler.plan import Change


class CustomerOperations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def create(self, change: Change) -> str:
        ctx, ext = self.ctx, change.customer
        body = ctx.customer_body(ext, create=True)

        async def find() -> str | None:
            found = await ctx.find_customer(ext)
            return None if found is None else str(found["id"])

        customer_id, note = await create_once(lambda: ctx.client.create_customer(body), find)
        return await self._settle(ext, customer_id, "created") + note

    async def update(self, change: Change) -> str:
        ext = change.customer
        ref = await self.ctx.customer(ext)
        await self.ctx.client.update_customer(ref.id, self.ctx.customer_body(ext, create=False))
        return await self._settle(ext, ref.id, "updated")

    async def delete(self, change: Change) -> str:
        ctx, ext = self.ctx, change.customer
        try:
            ref = await ctx.customer(ext)
            await ctx.client.delete_customer(ref.id)
        except NotFound:
            return "already gone"
        start = ctx.clock()
        for wait in ctx.poll.intervals():
            try:
                data = await ctx.client.get_customer(ref.id)
            except NotFound:
                ctx.customers.pop(ext, None)
                return f"deleted in {ctx.clock() - start:.1f} s"
            if data.get("status") == "error":
                raise JobFailed(f"customer {ext} delete ended in error{codes(data)}")
            if ctx.clock() - start + wait > ctx.poll.deadline:
                raise JobTimeout(
                    f"customer {ext} still {data.get('status')} after "
                    f"{ctx.clock() - start:.0f} s; re-run apply to pick it up"
                )
            await ctx.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _settle(self, ext: str, customer_id: str, verb: str) -> str:
        """Wait for the job; retry a bad ending once with a PUT; record the org."""
        ctx = self.ctx
        started = ctx.clock()
        data = await self._wait(ext, customer_id)
        retried = ""
        if data.get("status") in BAD_ENDINGS:
            await ctx.client.update_customer(customer_id, ctx.customer_body(ext, create=False))
            retried = f"; retried after {data.get('status')}"
            data = await self._wait(ext, customer_id)
        status = data.get("status")
        if status != "provisioned":
            raise JobFailed(f"customer {ext} ended {status}{codes(data)}{retried}")
        ctx.customers[ext] = CustomerRef(customer_id, data.get("orgId"), status)
        return f"{verb}; provisioned in {ctx.clock() - started:.1f} s{retried}"

    async def _wait(self, ext: str, customer_id: str) -> Json:
        """Poll until the customer's status is final (anything but in flight).

        Partner Hub answers a customer write with 202 and runs it as a job; whether a GET made
        at once already shows that job is not documented. So the first look comes one interval
        after the write, and a final status seen before the job was ever seen in flight is
        confirmed by one more look: a stale ``provisioned`` would start the customer's
        locations and users while it is still updating, a stale ``error`` would spend the
        retry."""
        ctx = self.ctx
        start = ctx.clock()
        seen_in_flight = confirming = False
        for wait in ctx.poll.intervals():
            await ctx.sleep(wait)
            try:
                data = await ctx.client.get_customer(customer_id)
            except NotFound:
                raise JobFailed(f"customer {ext} disappeared while provisioning") from None
            status = data.get("status")
            if status in IN_FLIGHT:
                seen_in_flight = True
            elif not seen_in_flight and not confirming:
                confirming = True
                continue
            else:
                if status == "pending_rpl_review":
                    raise JobFailed(
                        f"customer {ext} is pending_rpl_review (Denied Party List compliance "
                        "check): re-run apply once Partner Hub has cleared it"
                    )
                return data
            if ctx.clock() - start > ctx.poll.deadline:
                raise JobTimeout(
                    f"customer {ext} still {status} after {ctx.clock() - start:.0f} s "
                    f"(deadline {ctx.poll.deadline:g} s); re-run apply to pick it up"
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def wait_idle(self, externals: Collection[str]) -> None:
        """Wait (concurrently, within the poll deadline) until none of these customers is in
        flight any more."""
        ctx = self.ctx

        async def one(ext: str) -> None:
            ref = await ctx.customer(ext)
            start = ctx.clock()
            for wait in ctx.poll.intervals():
                if ctx.clock() - start + wait > ctx.poll.deadline:
                    return
                await ctx.sleep(wait)
                try:
                    data = await ctx.client.get_customer(ref.id)
                except NotFound:
                    return
                if data.get("status") not in IN_FLIGHT:
                    return

        await asyncio.gather(*(one(ext) for ext in sorted(externals)))
