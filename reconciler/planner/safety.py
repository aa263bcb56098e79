"""Safety thresholds: deletes/updates above the Settings percentages block the plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from reconciler.model import Settings
from reconciler.plan import KINDS, Change, Kind, Notice, cascade

#: Thresholds apply to a kind once it has this many managed live objects (as octoDNS does):
#: below that, one change in a tiny estate would already exceed any percentage. Customer
#: deletes are the exception: each takes a whole organization with it.
MIN_MANAGED_FOR_THRESHOLDS = 10


def thresholds(
    changes: Sequence[Change],
    managed: Mapping[Kind, int],
    retry_only: Collection[str],
    settings: Settings,
) -> tuple[Notice, ...]:
    """Block the plan when a kind's deletes or updates exceed their percentage of its managed
    live objects. A customer delete counts as the deletes of the live locations and users it
    takes with it (``managed`` counts those too), and customer deletes block above the
    percentage, or when they are every managed customer, whatever the number of customers.
    A customer update that only retries a failed provisioning changes nothing the YAML says,
    so it is left out of the count (and the message says how many were). ``managed``: the
    managed live objects per kind; ``retry_only``: the addresses of those retries."""
    counts: Counter[tuple[str, Kind]] = Counter()
    retries = sum(1 for c in changes if c.action == "update" and c.address in retry_only)
    for c in changes:
        if not (c.action == "update" and c.address in retry_only):
            counts[c.action, c.kind] += 1
        for kind, n in cascade(c).items():
            counts["delete", kind] += n
    blocked: list[Notice] = []
    for kind in KINDS:
        total = managed.get(kind, 0)
        for action, limit, name in (
            ("delete", settings.max_delete_percent, "maxDeletePercent"),
            ("update", settings.max_update_percent, "maxUpdatePercent"),
        ):
            count = counts[action, kind]
            every_customer = (kind, action) == ("customer", "delete")
            if not count or (total < MIN_MANAGED_FOR_THRESHOLDS and not every_customer):
                continue
            percent = 100.0 * count / max(total, 1)
            if every_customer and count >= total:
                blocked.append(
                    Notice(kind, f"every managed customer ({count} of {total}) would be deleted")
                )
            elif percent > limit:
                left_out = (
                    f"; {retries} retr{'y' if retries == 1 else 'ies'} of a failed "
                    "provisioning not counted"
                    if retries and (kind, action) == ("customer", "update")
                    else ""
                )
                blocked.append(
                    Notice(
                        kind,
                        f"{count} of {total} managed {kind}s would be {action}d "
                        f"({percent:.1f}%), above {name} {limit:g}%{left_out}",
                    )
                )
    return tuple(blocked)
