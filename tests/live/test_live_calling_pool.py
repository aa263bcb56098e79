"""The calling reads asked of ``read_live`` run in its pool of workers, alongside the core
reads: the same lists as ``read_calling`` finds, for exactly the formula's requests, and no
org's calling read waits for the whole estate's core read."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import httpx
from admin_client import sandbox_admin, sandbox_stats
from live_estate import calling_estate, calling_read_requests, sandbox

from reconciler.live import CallingLists, read_live
from reconciler.live_calling import calling_orgs, read_calling
from reconciler.workflow.connect import open_client


class Recording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, paths: list[str]) -> None:
        self.inner, self.paths = inner, paths

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


async def _run(customers: int, wanted: set[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sandbox.sqlite")
        async with open_client(sandbox(db), read_only=False) as admin:
            await sandbox_admin(admin, "POST", "/seed", calling_estate(customers, 2, 3))
        paths: list[str] = []
        target = sandbox(db)
        wrap = lambda inner: Recording(inner, paths)  # noqa: E731
        async with open_client(target, read_only=True, wrap_transport=wrap) as reader:
            await read_live(reader, concurrency=2)
            await sandbox_admin(reader, "POST", "/stats/reset")
            core = await sandbox_stats(reader)
            await sandbox_admin(reader, "POST", "/stats/reset")
            plain = await read_live(reader, concurrency=2)
            plain_total = (await sandbox_stats(reader))["total"]
            await sandbox_admin(reader, "POST", "/stats/reset")
            paths.clear()
            lists = CallingLists(wanted)
            state = await read_live(reader, concurrency=2, calling=lists)
            total = (await sandbox_stats(reader))["total"]
            alone = await read_calling(
                reader, {e: o for e, o in calling_orgs(state).items() if e in wanted}
            )
        assert core["total"] == 0
        return {
            "plain": plain,
            "state": state,
            "lists": lists,
            "alone": alone,
            "extra": total - plain_total,
            "paths": paths,
        }


def test_calling_reads_in_the_pool_cost_the_formula_and_match_the_separate_read() -> None:
    customers = 6
    every = {f"call-{c:05d}" for c in range(customers)} | {"meet-only"}
    got = asyncio.run(_run(customers, every))
    assert got["state"] == got["plain"]  # the core state is unchanged
    # one calling-locations list and one inventory per calling org; none for meet-only
    assert got["extra"] == calling_read_requests(customers, 2, 3, 0)
    lists, alone = got["lists"], got["alone"]
    assert {e: tuple(v) for e, v in lists.locations.items()} == dict(alone.locations)

    # numbers kept with what the planner reads of them (and their state, main flag, owner)
    def facts(numbers: Any) -> set[tuple[Any, ...]]:
        return {
            (n["phoneNumber"], n["state"], n["mainNumber"], n["location"]["id"]) for n in numbers
        }

    assert {e: facts(v) for e, v in lists.numbers.items()} == {
        e: facts(v) for e, v in alone.numbers.items()
    }
    assert all(set(n) <= {"phoneNumber", "state", "mainNumber", "location", "owner"}
               for v in lists.numbers.values() for n in v)  # fmt: skip
    assert "meet-only" not in lists.locations
    # the first org's calling reads go out before the last org's people are read
    paths = got["paths"]
    first_calling = paths.index("/v1/telephony/config/locations")
    last_people = max(i for i, p in enumerate(paths) if p == "/v1/people")
    assert first_calling < last_people


def test_only_the_customers_asked_for_get_calling_reads() -> None:
    got = asyncio.run(_run(4, {"call-00001", "call-00003"}))
    assert set(got["lists"].locations) == set(got["lists"].numbers) == {"call-00001", "call-00003"}
    assert got["extra"] == calling_read_requests(2, 2, 3, 0)
