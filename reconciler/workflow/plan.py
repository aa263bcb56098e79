"""Plan: load the desired state, read Partner Hub, compare; optionally run the prechecks.

``apply`` re-plans through the same ``plan_with`` so the plan it executes is computed exactly
as the reviewed one was. ``make_plan`` opens its client read-only: the HTTP layer refuses
every write before it is sent (only GETs and the two ``/validate`` precheck POSTs go out).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler import planner
from reconciler.api import WebexClient
from reconciler.live import CallingLists, Json, Progress, WholePeople, read_live, together
from reconciler.live_calling import CallingLive, read_calling, read_pstn, with_calling
from reconciler.model import Settings, State
from reconciler.plan import Plan
from reconciler.planner.countries import countries_to_read, with_countries
from reconciler.planner.pstn import pstn_to_read, with_pstn
from reconciler.workflow.connect import Target
from reconciler.workflow.prechecks import run_prechecks
from reconciler.workflow.seams import REAL_SEAMS, Seams
from reconciler.workflow.session import EVERY_CUSTOMER, Pending, Selection, open_session


@dataclass(frozen=True, slots=True)
class Planned:
    """A plan with the two states it was computed from (``scope``: the customers it covers,
    None for all)."""

    desired: State
    live: State
    plan: Plan
    scope: frozenset[str] | None = None
    #: The people an apply will update, read whole (person id → (externalId, fields)).
    people: Mapping[str, tuple[str, Json]] = field(default_factory=dict)


async def make_plan(
    directory: Path,
    target: Target,
    selection: Selection = EVERY_CUSTOMER,
    *,
    precheck: bool = False,
    progress: Progress | None = None,
    seams: Seams = REAL_SEAMS,
) -> Planned:
    """Load ``directory``, read Partner Hub (the customers ``selection`` names) through a
    read-only client, and plan; with ``precheck``, run Webex's prechecks for the plan (see
    ``reconciler.workflow.prechecks``)."""
    async with open_session(
        directory, target, selection, read_only=True, seams=seams, overlap=True
    ) as run:
        return await plan_with(
            run.client,
            run.desired,
            scope=run.scope,
            precheck=precheck,
            progress=progress,
            concurrency=run.concurrency,
            pending=run.pending,
        )


async def plan_with(
    client: WebexClient,
    desired: State,
    *,
    scope: frozenset[str] | None = None,
    precheck: bool = False,
    progress: Progress | None = None,
    concurrency: int = Settings().concurrency,
    whole_people: WholePeople | None = None,
    pending: Pending | None = None,
) -> Planned:
    """Read live state through ``client`` (``concurrency``: its in-flight cap) and plan
    against ``desired`` (shared with apply): the core estate with the calling locations and
    number inventory of each live calling customer in scope (read alongside, in one pool),
    then the configuration of each distinct country the plan places a location in and the
    PSTN connection of each live calling location whose numbers it changes.
    ``whole_people``: for an apply, the people it will update are kept whole (no GET before
    their PUT). ``pending``: the whole desired state is still loading (``desired`` holds its
    settings and templates): it is awaited while the live read runs."""
    known = pending.customers if pending is not None else frozenset(desired.customers)
    lists = CallingLists([e for e in known if scope is None or e in scope])
    roles = _roles_needed(desired, scope, pending)
    read = read_for_plan(
        client,
        desired,
        scope=scope,
        progress=progress,
        concurrency=concurrency,
        calling=lists,
        whole_people=whole_people,
        customers=known,
        roles=roles,
    )
    if pending is not None:
        live, desired = await together(read, pending.state(desired))
    else:
        live = await read
    if whole_people is not None:
        whole_people.settle()  # those read before the desired state was whole
    live = _with_lists(live, lists)
    del lists  # the lists are in the live locations now
    plan = planner.plan(desired, live, scope=scope)
    codes = countries_to_read(plan)
    if codes:
        # once per distinct country of a planned location create/update or calling enable
        plan = with_countries(plan, (await read_calling(client, {}, codes)).countries)
    if pstn := pstn_to_read(plan, live):
        # once per live calling location the plan adds numbers to or removes numbers from
        plan = with_pstn(plan, await read_pstn(client, pstn), desired)
    if precheck and plan.changes:
        plan = replace(plan, prechecks=await run_prechecks(client, live, plan))
    people = whole_people.people if whole_people is not None else {}
    return Planned(desired, live, plan, scope, people)


def _roles_needed(desired: State, scope: frozenset[str] | None, pending: Pending | None) -> bool:
    """Role names are checked against GET /roles, read on its own only when a user in scope
    has roles (while the users are still loading, whether one has is not known: read it)."""
    return pending is not None or any(
        u.roles for u in desired.users.values() if scope is None or u.customer in scope
    )


def _with_lists(live: State, lists: CallingLists) -> State:
    """``live`` with the calling locations and inventories read alongside it."""
    if not (lists.locations or lists.numbers):
        return live
    found = CallingLive(
        locations={ext: tuple(items) for ext, items in lists.locations.items()},
        numbers={ext: tuple(items) for ext, items in lists.numbers.items()},
        countries={},
    )
    return with_calling(live, found)


async def read_for_plan(
    client: WebexClient,
    desired: State,
    *,
    scope: frozenset[str] | None,
    progress: Progress | None = None,
    concurrency: int = Settings().concurrency,
    calling: CallingLists | None = None,
    whole_people: WholePeople | None = None,
    customers: Collection[str] | None = None,
    roles: bool = False,
) -> State:
    """The live state a plan needs: the customers in scope with their locations and users
    (and, into ``calling``, the calling reads it asks for); ``customers``: the desired
    customers when ``desired`` does not hold them yet.

    An unscoped plan reads the locations and users of the customers the YAML names only; the
    other live customers come without them, just to be shown as unmanaged.
    """
    if scope is not None:
        return await read_live(
            client,
            customers=scope,
            progress=progress,
            concurrency=concurrency,
            calling=calling,
            whole_people=whole_people,
            roles=roles,
        )
    return await read_live(
        client,
        customers=frozenset(desired.customers if customers is None else customers),
        others=True,
        progress=progress,
        concurrency=concurrency,
        calling=calling,
        whole_people=whole_people,
        roles=roles,
    )
