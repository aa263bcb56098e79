"""Customer changes: ``POST``/``PUT``/``DELETE /wholesale/customers`` and waiting for the job.

A create or update answers 202 and is polled until its status is final; only ``provisioned``
counts as done. A provisioning that ends in ``error`` or ``provisioned_with_errors`` is retried
once with a ``PUT`` of the same packages (Webex's advice for its maintenance error 2560 is to
retry later); a second bad ending fails the change. The headquarters location travels in
``provisioningParameters.calling`` and is created by the provisioning itself. A delete is
polled until the customer is gone; one already gone is done. A change of ``name`` renames the
customer's org through the identity API (``PATCH /identity/organizations/{orgUuid}``, scope
``identity:organizations_rw``), the only way Webex allows; the wholesale PUT cannot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from reconciler import bodies
from reconciler.errors import JobFailed, JobTimeout, NotFound, OutcomeUnknown, ServerError
from reconciler.model import CUSTOMER_BAD_ENDINGS, CUSTOMER_IN_FLIGHT
from reconciler.operations.calls import codes, create_once, pause_of
from reconciler.operations.ids import CustomerRef, Json, Paced
from reconciler.plan import Change

#: How many times a rename whose answer was lost is sent.
RENAME_ATTEMPTS = 4


class CustomerOperations(Paced):
    """Customer changes; ``poll``, ``clock`` and ``sleep`` pace the waits for their jobs."""

    async def create(self, change: Change) -> str:
        ids, ext = self.ids, change.customer
        body = bodies.for_change(change)

        async def find() -> str | None:
            found = await ids.find_customer(ext)
            return None if found is None else str(found["id"])

        customer_id, note = await create_once(
            lambda: ids.client.create_customer(body), find, pause=pause_of(ids.client)
        )
        return await self._settle(change, customer_id, "created") + note

    async def update(self, change: Change) -> str:
        """A rename first (``PATCH`` of the org's displayName: synchronous), then the ``PUT``
        of everything else, unless the name was all that changed."""
        ref = await self.ids.customer(change.customer)
        renamed = ""
        name = next((f.after for f in change.fields if f.field == "name"), None)
        if isinstance(name, str):
            renamed = await self._rename(change.customer, ref, name)
            if all(f.field == "name" for f in change.fields):
                return renamed
        await self.ids.client.update_customer(ref.id, bodies.for_change(change))
        done = await self._settle(change, ref.id, "updated")
        return f"{renamed}; {done}" if renamed else done

    async def _rename(self, ext: str, ref: CustomerRef, name: str) -> str:
        """Set the org's displayName. Setting a name twice is harmless, so an answer lost
        (a 5xx or a dropped connection: outcome unknown) is resent, a bounded number of
        times."""
        if not ref.org_id:
            raise JobFailed(f"customer {ext} has no organization to rename")
        for attempt in range(1, RENAME_ATTEMPTS + 1):
            try:
                await self.ids.client.rename_organization(ref.org_id, name)
            except (OutcomeUnknown, ServerError):
                if attempt == RENAME_ATTEMPTS:
                    raise
                await self.sleep(self.poll.initial * attempt)
                continue
            return f"renamed to {name!r}"
        raise AssertionError("unreachable")  # pragma: no cover

    async def delete(self, change: Change) -> str:
        ids, ext = self.ids, change.customer
        try:
            ref = await ids.customer(ext)
            await ids.client.delete_customer(ref.id)
        except NotFound:
            return "already gone"
        start = self.clock()
        for wait in self.poll.intervals():
            try:
                data = await ids.client.get_customer(ref.id)
            except NotFound:
                ids.customers.pop(ext, None)
                return f"deleted in {self.clock() - start:.1f} s"
            if data.get("status") == "error":
                raise JobFailed(f"customer {ext} delete ended in error{codes(data)}")
            if self.clock() - start + wait > self.poll.deadline:
                raise JobTimeout(
                    f"customer {ext} still {data.get('status')} after "
                    f"{self.clock() - start:.0f} s; re-run apply to pick it up"
                )
            await self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _settle(self, change: Change, customer_id: str, verb: str) -> str:
        """Wait for the job; retry a bad ending once with a PUT; record the org."""
        ids, ext = self.ids, change.customer
        started = self.clock()
        data = await self._wait(ext, customer_id)
        retried = ""
        if data.get("status") in CUSTOMER_BAD_ENDINGS:
            retry = bodies.for_change(change, action="update")
            await ids.client.update_customer(customer_id, retry)
            retried = f"; retried after {data.get('status')}"
            data = await self._wait(ext, customer_id)
        status = data.get("status")
        if status != "provisioned":
            raise JobFailed(f"customer {ext} ended {status}{codes(data)}{retried}")
        ids.customers[ext] = CustomerRef(customer_id, data.get("orgId"), status)
        return f"{verb}; provisioned in {self.clock() - started:.1f} s{retried}"

    async def _wait(self, ext: str, customer_id: str) -> Json:
        """Poll until the customer's status is final (anything but in flight).

        Partner Hub answers a customer write with 202 and runs it as a job; whether a GET made
        at once already shows that job is not documented. So the first look comes one interval
        after the write, and a final status seen before the job was ever seen in flight is
        confirmed by one more look: a stale ``provisioned`` would start the customer's
        locations and users while it is still updating, a stale ``error`` would spend the
        retry."""
        ids = self.ids
        start = self.clock()
        seen_in_flight = confirming = False
        for wait in self.poll.intervals():
            await self.sleep(wait)
            try:
                data = await ids.client.get_customer(customer_id)
            except NotFound:
                raise JobFailed(f"customer {ext} disappeared while provisioning") from None
            status = data.get("status")
            if status in CUSTOMER_IN_FLIGHT:
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
            if self.clock() - start > self.poll.deadline:
                raise JobTimeout(
                    f"customer {ext} still {status} after {self.clock() - start:.0f} s "
                    f"(deadline {self.poll.deadline:g} s); re-run apply to pick it up"
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def wait_idle(self, externals: Collection[str]) -> None:
        """Wait (concurrently, within the poll deadline) until none of these customers is in
        flight any more."""
        ids = self.ids

        async def one(ext: str) -> None:
            ref = await ids.customer(ext)
            start = self.clock()
            for wait in self.poll.intervals():
                if self.clock() - start + wait > self.poll.deadline:
                    return
                await self.sleep(wait)
                try:
                    data = await ids.client.get_customer(ref.id)
                except NotFound:
                    return
                if data.get("status") not in CUSTOMER_IN_FLIGHT:
                    return

        await asyncio.gather(*(one(ext) for ext in sorted(externals)))
