"""Webex Calling steps: enable calling at a location, add or remove a managed number, the
disable-calling job, and the move-users job (a calling user changing location).

- Enable: ``POST /telephony/config/locations``; a 409 (already a calling location: a run
  interrupted after sending it) is done; an unknown outcome is resolved by listing the
  calling locations (``create_once``).
- Numbers: ``POST``/``DELETE /telephony/config/locations/{id}/numbers``; a number already
  in (or already gone from) the location's inventory is done, so a re-run never repeats it;
  an add whose outcome is unknown is resolved by listing the location's inventory.
- Jobs (disable, move) are started, then polled with the customer jobs' ``PollPolicy``
  (clock and sleep injected) until ``latestExecutionStatus`` is final; a ``FAILED`` job, or
  one completed with errors, fails its change with the job's exit code and its own errors
  (``errorCode: message`` from ``…/{jobId}/errors``).
- Before starting a job, the org's jobs of that kind are listed (once per org and kind per
  run, only when a change needs it): a running one that may be this change's (any move job of
  the org, since no move job names its users; a disable job with the location's name) is
  waited for, then live state decides whether a job is still needed, so a job an interrupted
  run left running is neither repeated nor lost. A job that finished left its effect in live
  state (the user at its target, the location no calling location), which the re-run's plan
  and these checks read, so it is never repeated either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from reconciler import calling_bodies
from reconciler.api.client import move_job_of
from reconciler.errors import AuthError, Conflict, JobFailed, JobTimeout, NotFound
from reconciler.operations.calls import create_once
from reconciler.operations.ids import Paced, ServerIds
from reconciler.plan import Change, NumberFacts
from reconciler.planner.pstn import integrated

Json = dict[str, Any]
GetJob = Callable[[str, str], Awaitable[Json]]
ListErrors = Callable[[str, str], Awaitable[list[Json]]]

#: Final ``latestExecutionStatus`` values of a telephony job.
FINAL = frozenset({"COMPLETED", "FAILED", "ABANDONED"})


class CallingOperations(Paced):
    def __init__(self, ids: ServerIds, **pace: Any) -> None:
        super().__init__(ids, **pace)
        # (kind, org) -> the org's jobs of that kind, listed once; job id -> its final state
        self._listed: dict[tuple[str, str], asyncio.Task[list[Json]]] = {}
        self._waited: dict[str, asyncio.Task[Json | None]] = {}
        #: locationId → PSTN connection type read during this run ("": not known)
        self._pstn: dict[str, asyncio.Future[str]] = {}

    async def _location(self, ext: str, name: str) -> tuple[str, str]:
        _, org_id = await self.ids.org(ext)
        return await self.ids.location_id(ext, name, org_id), org_id

    # calling/EXT/LOC ---------------------------------------------------------------------
    async def create(self, change: Change) -> str:
        if change.kind == "number":
            return await self._add_number(change)
        location_id, org_id = await self._location(change.customer, change.name or "")
        body = calling_bodies.enable_calling(change, location_id=location_id)
        client = self.ids.client

        async def listed() -> str | None:
            found = await client.list_calling_locations(org_id)
            return location_id if any(c.get("id") == location_id for c in found) else None

        try:
            _, note = await create_once(
                lambda: client.enable_calling_location(org_id, body), listed
            )
        except Conflict:
            return "already a calling location"
        return "calling enabled" + note

    async def update(self, change: Change) -> str:
        raise JobFailed(f"{change.address}: a calling step is created or deleted, not updated")

    async def delete(self, change: Change) -> str:
        if change.kind == "number":
            return await self._remove_number(change)
        ext, name = change.customer, change.name or ""
        try:
            location_id, org_id = await self._location(ext, name)
        except NotFound:
            return "already gone"
        if not await self._is_calling(org_id, location_id):
            return "calling already disabled"
        client = self.ids.client

        def same_location(job: Json) -> bool:
            return job.get("locationName") == name

        earlier = await self._earlier_jobs("disable", org_id, change, same_location)
        if earlier and not await self._is_calling(org_id, location_id):
            return "calling disabled (by an earlier job)"
        job = await client.disable_calling_location(location_id, org_id, name=name)
        try:
            await self.wait(
                job,
                org_id,
                client.get_disable_calling_job,
                change,
                client.list_disable_calling_job_errors,
            )
        except JobFailed:
            # a job an interrupted run started may have disabled it meanwhile
            if await self._is_calling(org_id, location_id):
                raise
            return "calling disabled (by an earlier job)"
        return "calling disabled"

    async def _is_calling(self, org_id: str, location_id: str) -> bool:
        listed = await self.ids.client.list_calling_locations(org_id)
        return any(c.get("id") == location_id for c in listed)

    # number/EXT/LOC/+E164 ----------------------------------------------------------------
    async def _inventory(self, change: Change) -> tuple[NumberFacts, str, str, set[str]]:
        facts = change.facts
        if not isinstance(facts, NumberFacts):
            raise JobFailed(f"{change.action} {change.address} carries no NumberFacts")
        location_id, org_id = await self._location(change.customer, facts.location)
        listed = await self.ids.client.list_numbers(org_id, location_id)
        return facts, location_id, org_id, {str(n.get("phoneNumber")) for n in listed}

    async def _add_number(self, change: Change) -> str:
        facts, location_id, org_id, have = await self._inventory(change)
        if facts.number in have:
            return "already in the location's inventory"
        await self._managed_here(change, facts, org_id, location_id)
        client = self.ids.client

        async def post() -> bool:
            await client.add_numbers(location_id, org_id, [facts.number])
            return True

        async def listed() -> bool | None:
            found = await client.list_numbers(org_id, location_id)
            return True if any(n.get("phoneNumber") == facts.number for n in found) else None

        _, note = await create_once(post, listed)
        return "number added" + note

    async def _managed_here(
        self, change: Change, facts: NumberFacts, org_id: str, location_id: str
    ) -> None:
        """Refuse, unsent, a number add at a location whose PSTN provider supplies its
        numbers. The plan read the connection of every live calling location; one this run
        enabled had none to read then, so it is read here, once per location."""
        live = self.ids.live.locations.get((change.customer, facts.location))
        if live is not None and live.calling:
            return
        read = self._pstn.get(location_id)
        if read is None:  # one read, shared by the location's number adds
            read = self._pstn[location_id] = asyncio.ensure_future(
                self._connection(location_id, org_id)
            )
        try:
            connection = await asyncio.shield(read)
        except Exception:
            if self._pstn.get(location_id) is read:
                del self._pstn[location_id]  # the next add reads it again
            raise
        if connection and integrated(connection):
            raise JobFailed(
                f"numbers of location '{facts.location}' come from its PSTN provider "
                f"({connection}): Webex refuses adding {facts.number} by API, so it was not "
                "sent; drop `numbers:` from the location and have the provider assign them"
            )

    async def _connection(self, location_id: str, org_id: str) -> str:
        try:
            answer = await self.ids.client.get_pstn_connection(location_id, org_id)
        except AuthError:  # the token may not read it: let Webex answer
            return ""
        return str(answer.get("pstnConnectionType") or "")

    async def _remove_number(self, change: Change) -> str:
        try:
            facts, location_id, org_id, have = await self._inventory(change)
        except NotFound:
            return "already gone"
        if facts.number not in have:
            return "already gone"
        await self.ids.client.remove_numbers(location_id, org_id, [facts.number])
        return "number removed"

    # jobs ------------------------------------------------------------------------------------
    async def move(self, change: Change, org_id: str, body: Json) -> Json:
        """Start a move-users job and wait for it; the finished job. A running move job of the
        org (an interrupted run's, perhaps this one's) is waited for first; when the user is
        then at its target, that job is the answer and none is started."""
        client = self.ids.client
        earlier = await self._earlier_jobs("move", org_id, change, lambda job: True)
        if earlier and await self._moved(body):
            return earlier[-1]
        answer = await client.move_users(org_id, body)
        job = move_job_of(answer)
        if job is None:
            return answer  # moved synchronously
        return await self.wait(
            job, org_id, client.get_move_users_job, change, client.list_move_users_job_errors
        )

    async def _moved(self, body: Json) -> bool:
        """True when every user of a move body is at the body's target location."""
        for group in body.get("usersList") or ():
            for user in group.get("users") or ():
                person = await self.ids.client.get_person(str(user.get("userId")))
                if person.get("locationId") != group.get("locationId"):
                    return False
        return True

    async def _earlier_jobs(
        self, kind: str, org_id: str, change: Change, matches: Callable[[Json], bool]
    ) -> list[Json]:
        """Wait for the org's running jobs of ``kind`` that ``matches``; those jobs, finished
        (empty when none was running). JobTimeout when one outlives the poll deadline: a new
        job is not started while an earlier one may still make the change."""
        key = (kind, org_id)
        if key not in self._listed:
            client = self.ids.client
            lister = (
                client.list_move_users_jobs if kind == "move" else client.list_disable_calling_jobs
            )
            self._listed[key] = asyncio.ensure_future(lister(org_id))
        running = [
            j
            for j in await self._listed[key]
            if matches(j) and j.get("latestExecutionStatus") not in FINAL
        ]
        finished = []
        for job in running:
            job_id = str(job.get("id"))
            if job_id not in self._waited:
                self._waited[job_id] = asyncio.ensure_future(
                    self._finish(kind, job, org_id, change)
                )
            done = await self._waited[job_id]
            if done is not None:
                finished.append(done)
        return finished

    async def _finish(self, kind: str, job: Json, org_id: str, change: Change) -> Json | None:
        """``job`` once final; None when it failed (its effect, if any, is in live state)."""
        client = self.ids.client
        get = client.get_move_users_job if kind == "move" else client.get_disable_calling_job
        try:
            return await self.wait(job, org_id, get, change)
        except JobFailed:
            return None

    async def wait(
        self,
        job: Json,
        org_id: str,
        get: GetJob,
        change: Change,
        errors: ListErrors | None = None,
    ) -> Json:
        """Poll ``job`` until it is final; JobFailed with its exit code and its own errors
        (read with ``errors`` when given), JobTimeout after the poll deadline (a re-run finds
        its effect, or lack of it, in live state)."""
        job_id, start = str(job.get("id")), self.clock()
        for wait in self.poll.intervals():
            if job.get("latestExecutionStatus") in FINAL:
                break
            if self.clock() - start + wait > self.poll.deadline:
                raise JobTimeout(
                    f"{change.address}: job {job_id} still {job.get('latestExecutionStatus')} "
                    f"after {self.clock() - start:.0f} s (deadline {self.poll.deadline:g} s); "
                    "re-run apply to pick it up"
                )
            await self.sleep(wait)
            job = await get(job_id, org_id)
        exit_code = job.get("latestExecutionExitCode")
        if job.get("latestExecutionStatus") != "COMPLETED" or exit_code not in (
            "COMPLETED",
            None,
        ):
            listed = await errors(job_id, org_id) if errors is not None else []
            raise JobFailed(
                f"job {job_id} ended {job.get('latestExecutionStatus')}{_errors(job, listed)}"
            )
        return job


def _errors(job: Json, listed: list[Json]) -> str:
    """`` (exit code …; errorCode: message …)`` of a finished job: the errors its status
    carries and those its errors list gives (``error.message[].code`` / ``description``)."""
    parts = [f"exit code {job.get('latestExecutionExitCode')}"]
    for e in job.get("errors") or ():
        if isinstance(e, dict):
            parts.append(f"{e.get('errorCode') or e.get('code')}: {e.get('message')}")
    for item in listed:
        error = item.get("error")
        messages = error.get("message") if isinstance(error, dict) else None
        for m in messages if isinstance(messages, list) else ():
            if isinstance(m, dict):
                parts.append(f"{m.get('code')}: {m.get('description')}")
    return f" ({'; '.join(parts)})"
