"""Safety thresholds: deletes/updates above the Settings percentages block the plan."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from reconciler.model import Settings
from reconciler.plan import KINDS, Change, Kind, Notice

#: Thresholds apply to a kind once it has this many managed live objects (as octoDNS does):
#: below that, one change in a tiny estate would already exceed any percentage.
MIN_MANAGED_FOR_THRESHOLDS = 10


def thresholds(
    changes: Sequence[Change],
    managed: Mapping[Kind, int],
    retry_only: Collection[str],
    settings: Settings,
) -> tuple[Notice, ...]:
    """Block the plan when a kind's deletes or updates exceed their percentage of its managed
    live objects. A customer update that only retries a failed provisioning changes nothing
    the YAML says, so it is left out of the count (and the message says how many were).
    ``managed``: the managed live objects per kind; ``retry_only``: the addresses of those
    retries."""
    blocked: list[Notice] = []
    for kind in KINDS:
        total = managed.get(kind, 0)
        if total < MIN_MANAGED_FOR_THRESHOLDS:
            continue
        for action, limit, name in (
            ("delete", settings.max_delete_percent, "maxDeletePercent"),
            ("update", settings.max_update_percent, "maxUpdatePercent"),
        ):
            mine = [c for c in changes if c.kind == kind and c.action == action]
            retries = sum(1 for c in mine if c.address in retry_only)
            count = len(mine) - retries
            percent = 100.0 * count / total
            if count and percent > limit:
                left_out = (
                    f"; {retries} retr{'y' if retries == 1 else 'ies'} of a failed "
                    "provisioning not counted"
                    if retries
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
