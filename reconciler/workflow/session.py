"""The opening every command that reads the desired state shares: load the directory, check
the ``--customer`` names, resolve the scope, and open a client with the templates the YAML
declares (a sandbox registers them, as an operator creates them in Partner Hub).

The directory is loaded through ``Seams.cache`` when there is one: a run of named or changed
customers then declares only their files once the whole directory is known valid in exactly
its current bytes (``reconciler.desired.scoped``); a problem anywhere fails every run as
without a cache.

A run of every customer may ask to ``overlap`` the load with its live read: when the cache
holds the verdict of exactly these bytes, the settings (the client's limits come from them),
the templates and every customer's externalId are known from it at once, and the whole
directory is loaded in a thread while the client reads Partner Hub (:class:`Pending`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler.api import WebexClient
from reconciler.desired import scope_changed_since
from reconciler.desired.scoped import Loaded, load_cached
from reconciler.errors import UsageError
from reconciler.model import State
from reconciler.workflow.connect import Target, WrapTransport, limits_for
from reconciler.workflow.seams import Seams


@dataclass(frozen=True, slots=True)
class Selection:
    """Which customers a run covers: ``customers`` (``--customer``; each must be a customer of
    the YAML), widened by those whose YAML changed since the git ref ``changed_since``.
    ``scope``, when given, replaces ``customers`` as the starting scope (a reviewed plan's)."""

    customers: tuple[str, ...] = ()
    changed_since: str | None = None
    scope: frozenset[str] | None = None


#: Every customer of the YAML.
EVERY_CUSTOMER = Selection()


@dataclass(frozen=True, slots=True)
class Pending:
    """The whole desired state, still loading in a thread (``loading``), and what the
    verdict said of it already: every customer's externalId."""

    customers: frozenset[str]
    loading: asyncio.Future[Loaded]

    async def state(self, settled: State) -> State:
        """The whole state, once loaded; ``settled``: the settings and templates the run
        was opened with, which it must still hold (else the directory changed meanwhile:
        ``UsageError``)."""
        state = (await self.loading).state
        if (
            frozenset(state.customers) != self.customers
            or state.settings != settled.settings
            or templates_of(state) != templates_of(settled)
        ):
            raise UsageError(
                "the desired state changed while the run read it; nothing was planned: run again"
            )
        return state


@dataclass(frozen=True, slots=True)
class Session:
    """An opened run: the desired state, the customers in scope (None: all), the client, the
    number of requests it may have in flight, and the seams. With ``pending`` (an
    ``overlap`` run), ``desired`` holds only the settings and templates, and the whole state
    comes from ``pending``."""

    desired: State
    scope: frozenset[str] | None
    client: WebexClient
    concurrency: int
    seams: Seams
    pending: Pending | None = None


def resolve_scope(
    directory: Path,
    customer: Collection[str],
    changed_since: str | None,
    desired: State | None = None,
) -> frozenset[str] | None:
    """The externalIds in scope: ``--customer`` values plus the customers changed since the
    git ref (``desired``: the directory already loaded); None when neither option is given, or
    when a Settings document changed since the ref (everything is in scope)."""
    if not customer and changed_since is None:
        return None
    scope = set(customer)
    if changed_since is not None:
        changed = scope_changed_since(directory, changed_since, desired)
        if changed is None:  # a Settings document changed: it reaches every customer
            return None
        scope |= changed
    return frozenset(scope)


def templates_of(desired: State) -> dict[str, str]:
    """Template name → provisioningId, for the templates that have one (a sandbox target
    registers them, as an operator creates them in Partner Hub)."""
    return {n: t.provisioning_id for n, t in desired.templates.items() if t.provisioning_id}


def check_named_customers(desired: State, named: Collection[str]) -> None:
    """``--customer`` values must name customers of the YAML (one message for all of them)."""
    _check_named(desired.customers, named)


def _check_named(known: Collection[str], named: Collection[str]) -> None:
    unknown = sorted(set(named) - set(known))
    if unknown:
        raise UsageError("--customer names no customer of the desired state: " + ", ".join(unknown))


@asynccontextmanager
async def open_session(
    directory: Path,
    target: Target,
    selection: Selection,
    *,
    read_only: bool,
    seams: Seams,
    wrap_transport: WrapTransport | None = None,
    overlap: bool = False,
) -> AsyncIterator[Session]:
    """Load ``directory``, check and resolve ``selection``, and open a client for ``target``
    (``read_only`` refuses every write before it is sent). ``overlap``: a run of every
    customer may load the whole directory while it reads (see the module doc)."""
    scope = selection.scope
    if scope is None:
        scope = frozenset(selection.customers) or None
    cache = seams.cache
    early = overlap and cache is not None and scope is None and selection.changed_since is None
    pending: Pending | None = None
    if early:
        # no customer in scope: on a verdict only the settings' and templates' files
        loaded = load_cached(directory, cache, frozenset())
        if loaded.scoped:
            whole = asyncio.ensure_future(asyncio.to_thread(load_cached, directory, cache))
            pending = Pending(loaded.customers, whole)
    else:
        loaded = load_cached(directory, cache, scope, selection.changed_since)
    desired = loaded.state
    _check_named(loaded.customers, selection.customers)
    if loaded.scope is not None:
        scope = loaded.scope
    elif selection.changed_since is not None:
        scope = resolve_scope(directory, scope or (), selection.changed_since, desired)
    limiter = seams.limiter() if seams.limiter is not None else limits_for(target, desired.settings)
    async with seams.connect(
        target,
        read_only=read_only,
        templates=templates_of(desired),
        settings=desired.settings,
        limiter=limiter,
        retry=seams.retry,
        wrap_transport=wrap_transport,
    ) as client:
        try:
            yield Session(desired, scope, client, limiter.concurrency, seams, pending)
        finally:
            if pending is not None:
                # a run that failed before it needed the state: let the thread finish (and
                # its failure, if any, be the one already raised)
                await asyncio.gather(pending.loading, return_exceptions=True)
