"""A plan of every customer loads the desired state while it reads Partner Hub when the cache
holds the verdict of exactly these bytes: the same plan from the same requests, the client's
limits from the verdict's settings, and a directory that changed meanwhile refused."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from admin_client import sandbox_admin, sandbox_stats

from reconciler.desired.cache import check_directory_cached
from reconciler.desired.scoped import Loaded, load_cached
from reconciler.errors import UsageError
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.connect import SandboxTarget, open_client
from reconciler.workflow.plan import Planned, make_plan
from reconciler.workflow.seams import Seams
from reconciler.workflow.session import EVERY_CUSTOMER, Pending, open_session

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    directory = tmp_path / "estate"
    shutil.copytree(ROOT / "desired-state", directory)
    return directory


def target(tmp_path: Path) -> SandboxTarget:
    db = str(tmp_path / "hub.sqlite")
    return SandboxTarget(db=db, config=SandboxConfig(db=db))


def plan(directory: Path, where: SandboxTarget, cache: Path | None) -> tuple[Planned, int]:
    async def go() -> tuple[Planned, int]:
        async with open_client(where, read_only=True) as client:
            await sandbox_admin(client, "POST", "/stats/reset")
        planned = await make_plan(directory, where, seams=Seams(cache=cache))
        async with open_client(where, read_only=True) as client:
            return planned, int((await sandbox_stats(client))["total"])

    return asyncio.run(go())


def test_with_a_verdict_the_load_overlaps_the_read_and_the_plan_is_the_same(
    estate: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    assert not check_directory_cached(estate, cache).problems  # leaves the verdict

    async def opened() -> tuple[Pending | None, int, int]:
        seams = Seams(cache=cache)
        where = target(tmp_path)
        async with open_session(
            estate, where, EVERY_CUSTOMER, read_only=True, seams=seams, overlap=True
        ) as run:
            assert run.pending is not None
            whole = await run.pending.state(run.desired)
            return run.pending, len(run.desired.customers), len(whole.customers)

    pending, early, whole = asyncio.run(opened())
    assert pending is not None
    assert early == 0  # only the settings and templates at first
    assert pending.customers == frozenset(load_cached(estate, None).state.customers)
    assert whole == len(pending.customers)

    where = target(tmp_path)
    overlapped, requests = plan(estate, where, cache)
    alone, alone_requests = plan(estate, where, None)
    assert overlapped.plan.checksum == alone.plan.checksum
    assert overlapped.plan.changes == alone.plan.changes
    assert overlapped.desired == alone.desired
    assert requests == alone_requests


def test_without_a_verdict_nothing_overlaps(estate: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # empty: the first run checks the whole directory

    async def opened() -> Pending | None:
        async with open_session(
            estate,
            target(tmp_path),
            EVERY_CUSTOMER,
            read_only=True,
            seams=Seams(cache=cache),
            overlap=True,
        ) as run:
            assert run.desired.customers  # loaded whole before the client opened
            return run.pending

    assert asyncio.run(opened()) is None


def test_a_directory_that_changed_while_it_was_read_is_refused(estate: Path) -> None:
    state = load_cached(estate, None).state

    async def check(customers: frozenset[str]) -> None:
        loading: asyncio.Future[Loaded] = asyncio.get_running_loop().create_future()
        loading.set_result(load_cached(estate, None))
        pending = Pending(customers, loading)
        await pending.state(state)

    asyncio.run(check(frozenset(state.customers)))  # the same: fine
    with pytest.raises(UsageError, match="changed while the run read it"):
        asyncio.run(check(frozenset(state.customers) | {"someone-new"}))
