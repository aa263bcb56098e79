"""Export: read Partner Hub through a read-only client (never a write), write one
``customers/<externalId>.yaml`` per customer and a ``templates.yaml`` into the output
directory, and check the result: validated and planned against the very live state it came
from (no further requests).

Requests: those of :func:`reconciler.live.read_live` (full or scoped), whose
``GET /organizations`` gives the customer names, then, for each calling customer, its calling
locations and number inventory (:func:`reconciler.live_calling.read_calling`, as plan reads
them), so ``calling`` and ``numbers`` are written as live has them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import planner
from reconciler.api import WebexClient
from reconciler.desired import check_directory
from reconciler.errors import UsageError
from reconciler.export import writer
from reconciler.export.documents import Export, build_export
from reconciler.live import Progress, read_live
from reconciler.live_calling import calling_orgs, read_calling, with_calling
from reconciler.model import Settings, State
from reconciler.workflow.connect import Target, limits_for
from reconciler.workflow.seams import REAL_SEAMS, Seams

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Exported:
    """What an export wrote (``written``), what it read (``export``), the YAML files in the
    directory that are not its own (``others``, only with ``force``) and what stands between
    the directory and an empty plan (``left``)."""

    export: Export
    written: tuple[Path, ...]
    others: tuple[Path, ...]
    left: tuple[str, ...]


async def export_directory(
    out: Path,
    target: Target,
    *,
    customers: tuple[str, ...] = (),
    template: str,
    force: bool = False,
    progress: Progress | None = None,
    seams: Seams = REAL_SEAMS,
) -> Exported:
    """Export the customers of ``target`` (all, or ``customers``) into ``out`` (empty or new
    unless ``force``); nothing is left behind when reading fails."""
    if not template.strip():
        raise UsageError("--template needs a name")
    if any(not c.strip() for c in customers):
        raise UsageError("--customer needs an externalId")
    created = writer.prepare(out, force=force)
    try:
        result = await _read(target, customers, template.strip(), progress, seams)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if still empty: nothing of ours is left behind
        raise
    written = writer.write_documents(out, result.documents)
    others = writer.other_yaml_files(out, written) if force else []
    return Exported(result, tuple(written), tuple(others), tuple(self_check(out, result)))


async def _read(
    target: Target,
    customers: tuple[str, ...],
    template: str,
    progress: Progress | None,
    seams: Seams,
) -> Export:
    limiter = seams.limiter() if seams.limiter is not None else limits_for(target, None)
    async with seams.connect(target, read_only=True, limiter=limiter, retry=seams.retry) as client:
        live, people, orgs = await read_estate(
            client,
            customers=customers or None,
            progress=progress,
            concurrency=limiter.concurrency,
        )
    return build_export(live, people, orgs, template=template)


async def read_estate(
    client: WebexClient,
    *,
    customers: Collection[str] | None = None,
    progress: Progress | None = None,
    concurrency: int = Settings().concurrency,
) -> tuple[State, dict[str, list[Json]], list[Json] | None]:
    """The live state (all customers, or those named; calling customers with their calling
    locations and number inventory), each org's people (with role names) and the
    organizations list (None if refused), read concurrently. Unknown ``customers`` →
    ``UsageError``."""
    people: dict[str, list[Json]] = {}
    listed: list[Json] = []
    live = await read_live(
        client,
        customers=customers,
        progress=progress,
        org_people=people,
        organizations=listed,
        concurrency=concurrency,
    )
    # read_live lists the organizations once any customer has an org; an empty list then
    # means the token may not read it (a partner's list always holds its own org)
    with_org = any(c.live is not None and c.live.org_id for c in live.customers.values())
    orgs = None if with_org and not listed else listed
    if customers is not None:
        missing = sorted(set(customers) - set(live.customers))
        if missing:
            raise UsageError("--customer names no customer in Partner Hub: " + ", ".join(missing))
    calling = calling_orgs(live)
    if calling:
        live = with_calling(live, await read_calling(client, calling))
    return live, people, orgs


def self_check(directory: Path, export: Export) -> list[str]:
    """What stands between the written directory and an empty plan: validation problems, or
    the changes a plan against the live state the export was made from would still show."""
    checked = check_directory(directory)
    if checked.problems:
        return [str(p) for p in checked.problems]
    plan = planner.plan(checked.state, export.live, scope=frozenset(export.customers))
    left = [
        f"{c.address}: plan would still {c.action} it"
        + (f" ({', '.join(f.field for f in c.fields)})" if c.fields else "")
        for c in plan.changes
    ]
    return left + [f"{n.address}: plan would be blocked: {n.message}" for n in plan.blocked]
