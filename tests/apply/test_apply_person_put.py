"""A person update PUTs back the person as the plan's live read listed it, kept whole for the
users the plan updates: no GET before the PUT, and no field the tool does not manage lost.
Where the same change moved the person on first (a package change: its licenses), it is read
again."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from admin_client import sandbox_admin
from apply_helpers import FakeClock, fast_limits

from reconciler.api import WebexClient
from reconciler.bodies import PERSON_PUT_FIELDS, login_enabled
from reconciler.desired.cache import check_directory_cached
from reconciler.model import User
from reconciler.operations import PollPolicy
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.apply import ApplyRun, apply_directory, person_differs
from reconciler.workflow.connect import SandboxTarget, Target, open_client
from reconciler.workflow.plan import make_plan
from reconciler.workflow.seams import Seams

UNMANAGED = {"nickName": "Annie", "title": "Controller", "department": "Finance"}


def write(directory: Path, *, ann: str = "Lee", ann_package: str = "webex_meetings") -> Path:
    calling = ", location: HQ, extension: '2001'" if ann_package != "webex_meetings" else ""
    (directory / "customers").mkdir(parents=True, exist_ok=True)
    (directory / "templates.yaml").write_text(
        "kind: Template\nname: std\nprovisioningId: PID-STD\n", encoding="utf-8"
    )
    (directory / "customers" / "acme.yaml").write_text(
        f"""kind: Customer
externalId: acme
name: Acme
adminEmail: admin@acme.example
template: std
language: en_us
packages: [webex_meetings, webex_suite]
address: {{line1: 1 Main St, city: Chicago, state: IL, postalCode: '60601', country: US}}
headquarters: HQ
locations:
  - {{name: HQ, timeZone: America/Chicago, preferredLanguage: en_us}}
users:
  - {{email: ann@acme.example, firstName: Ann, lastName: {ann}, package: {ann_package}{calling}}}
  - {{email: bob@acme.example, firstName: Bob, lastName: Ray, package: webex_meetings}}
""",
        encoding="utf-8",
    )
    return directory


class Hub:
    def __init__(self, tmp: Path) -> None:
        self.clock = FakeClock()
        db = str(tmp / "hub.sqlite")
        config = SandboxConfig(db=db, clock=self.clock, sleep=self.clock.sleep)
        self.target = SandboxTarget(db=db, config=config)

    cache: Path | None = None

    def seams(self, sent: list[str] | None = None) -> Seams:
        limiter, retry = fast_limits(self.clock)

        def connect(target: Target, **options: Any) -> AbstractAsyncContextManager[WebexClient]:
            inner = options.pop("wrap_transport", None)

            def wrap(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
                return Recording(inner(transport) if inner else transport, sent)

            return open_client(target, wrap_transport=wrap, **options)

        return Seams(
            clock=self.clock,
            sleep=self.clock.sleep,
            poll=PollPolicy(initial=5.0, deadline=600.0),
            limiter=lambda: limiter,
            retry=retry,
            connect=connect,
            cache=self.cache,
        )

    def apply(self, directory: Path) -> tuple[ApplyRun, Counter[str]]:
        sent: list[str] = []
        run = asyncio.run(apply_directory(directory, self.target, seams=self.seams(sent)))
        return run, Counter(sent)

    def plan_is_empty(self, directory: Path) -> bool:
        planned = asyncio.run(make_plan(directory, self.target, seams=self.seams()))
        return planned.plan.is_empty

    async def _people(self) -> dict[str, dict[str, Any]]:
        async with open_client(self.target, read_only=True) as client:
            dump = await sandbox_admin(client, "GET", "/dump")
        return {p["emails"][0]: p for p in dump["people"]}

    def people(self) -> dict[str, dict[str, Any]]:
        return asyncio.run(self._people())

    def edit_person(self, email: str, **fields: Any) -> None:
        """Someone edits a person in Control Hub: a full PUT of it with ``fields`` changed."""

        async def go() -> None:
            async with open_client(self.target, read_only=False) as client:
                person_id = str((await self._people())[email]["id"])
                person = await client.get_person(person_id)
                body = {k: person[k] for k in PERSON_PUT_FIELDS if k in person}
                body["loginEnabled"] = login_enabled(person.get("loginEnabled"))
                await client.update_person(person_id, {**body, **fields})

        asyncio.run(go())


class Recording(httpx.AsyncBaseTransport):
    """Records each request as ``METHOD route`` (an ID in the path as ``{id}``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, sent: list[str] | None) -> None:
        self.inner, self.sent = inner, sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.sent is not None and request.url.path.startswith("/v1/"):
            route = re.sub(
                r"/v1/(people|wholesale/subscribers)/[^/]+", r"/v1/\1/{id}", request.url.path
            )
            self.sent.append(f"{request.method} {route}")
        return await self.inner.handle_async_request(request)


def ok(run: ApplyRun) -> dict[str, str]:
    assert run.result is not None
    assert run.result.ok, [(r.address, r.message) for r in run.result.results]
    return {r.address: r.message for r in run.result.results}


@pytest.mark.parametrize("cached", [False, True])
def test_a_drifted_name_is_put_back_without_a_get_and_keeps_what_the_tool_does_not_manage(
    tmp_path: Path, cached: bool
) -> None:
    hub = Hub(tmp_path)
    estate = write(tmp_path / "estate")
    ok(hub.apply(estate)[0])
    if cached:  # with a verdict the desired state loads while the apply reads Partner Hub
        hub.cache = tmp_path / "cache"
        assert not check_directory_cached(estate, hub.cache).problems
    hub.edit_person("ann@acme.example", lastName="Drifted", **UNMANAGED)
    before = hub.people()["ann@acme.example"]

    run, routes = hub.apply(estate)
    assert ok(run) == {"user/acme/ann@acme.example": "person updated"}
    assert routes["PUT /v1/people/{id}"] == 1
    assert routes["GET /v1/people/{id}"] == 0  # the live read's copy was used
    after = hub.people()["ann@acme.example"]
    assert after["lastName"] == "Lee"
    assert {k: after.get(k) for k in UNMANAGED} == UNMANAGED
    assert after["licenses"] == before["licenses"]
    assert hub.plan_is_empty(estate)


def test_a_package_change_reads_the_person_again_before_its_put(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    estate = write(tmp_path / "estate")
    ok(hub.apply(estate)[0])
    hub.edit_person("ann@acme.example", lastName="Drifted", **UNMANAGED)

    run, routes = hub.apply(write(estate, ann_package="webex_suite"))
    ok(run)
    assert routes["PUT /v1/wholesale/subscribers/{id}"] == 1
    assert routes["GET /v1/people/{id}"] == 1  # its licenses changed meanwhile
    after = hub.people()["ann@acme.example"]
    assert after["lastName"] == "Lee"
    assert {k: after.get(k) for k in UNMANAGED} == UNMANAGED
    assert hub.plan_is_empty(estate)


def test_only_users_whose_person_fields_differ_are_kept_whole() -> None:
    from reconciler.desired import load_desired

    root = Path(__file__).resolve().parents[2] / "desired-state"
    desired = load_desired(root)
    (ext, email), user = next((k, u) for k, u in desired.users.items() if u.roles)
    differs = person_differs(desired)
    assert not differs(ext, email, user)  # as desired
    assert differs(ext, email, _with(user, last_name="Other"))
    assert differs(ext, email, _with(user, roles=()))
    assert not differs(ext, "nobody@example.com", _with(user, last_name="Other"))
    if user.first_name is not None:
        assert differs(ext, email, _with(user, first_name=None))


def _with(user: User, **fields: Any) -> User:
    from dataclasses import replace

    return replace(user, **fields)


def test_people_read_before_the_desired_state_is_whole_are_kept_until_it_is() -> None:
    from reconciler.live import WholePeople

    known: dict[str, bool | None] = {"a@x.example": None, "b@x.example": None}
    whole = WholePeople(lambda ext, email, user: known[email])
    person = User(customer="x", email="")
    raw = {"id": "P1", "firstName": "A", "licenses": ["L1"], "unlisted": 1}
    whole.keep("P1", "x", ("a@x.example",), person, raw)
    whole.keep("P2", "x", ("b@x.example",), person, {**raw, "id": "P2"})
    assert set(whole.people) == {"P1", "P2"}  # not known yet: kept
    assert whole.people["P1"] == ("x", {"firstName": "A", "licenses": ["L1"]})  # what a PUT sends
    known.update({"a@x.example": True, "b@x.example": False})
    whole.settle()
    assert set(whole.people) == {"P1"}  # the one that differs stays whole
