"""Reviewed plans as sets of target states: may a fresh plan run on the strength of its reviews?

Pure: no IO. A reviewed plan is not compared byte for byte with the fresh one (that is what
``--checksum`` does); it is read as the set of target values someone approved. A fresh change is
*covered* when, for every field it sets, some reviewed change for the same address and a
compatible action sets that field to the same value. Compatible actions: a create is covered by a
reviewed create; an update by a reviewed update or create (the remainder of a create cut short,
such as a user created whose roles were not yet set); a delete by a reviewed delete.

So a re-run after a partial or complete apply converges (what is done has left the fresh plan),
while an edit since the review, or a change made in Partner Hub meanwhile, shows up as a fresh
change no review covers. Field values are compared as canonical JSON; ``before`` values, notes
and dependencies are not part of the target state and are not compared. With several reviewed
plans (one per merged pull request), each field may be covered by a different plan: each value
was approved on its own pull request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.plan import JSON, Action, Change, Plan, canonical

#: Which reviewed actions may cover a fresh change of each action.
COVERED_BY: dict[Action, tuple[Action, ...]] = {
    "create": ("create",),
    "update": ("update", "create"),
    "delete": ("delete",),
}


@dataclass(frozen=True, slots=True)
class Uncovered:
    """A fresh change no reviewed plan covers, and why (one line)."""

    change: Change
    reason: str

    def __str__(self) -> str:
        return f"{self.change.action} {self.change.address}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """The verdict on a fresh plan: ``ok`` when every change is covered."""

    fresh: Plan
    uncovered: tuple[Uncovered, ...]

    @property
    def ok(self) -> bool:
        return not self.uncovered

    @property
    def nothing_to_apply(self) -> bool:
        """Every reviewed change is already live (or none was planned)."""
        return self.fresh.is_empty


def coverage(fresh: Plan, reviewed: Sequence[Plan]) -> Coverage:
    """Which changes of ``fresh`` no change of ``reviewed`` covers, in the fresh plan's order."""
    by_address: dict[str, list[Change]] = {}
    for plan in reviewed:
        for change in plan.changes:
            by_address.setdefault(change.address, []).append(change)
    uncovered = []
    for change in fresh.changes:
        reason = why_uncovered(change, by_address.get(change.address, ()))
        if reason is not None:
            uncovered.append(Uncovered(change, reason))
    return Coverage(fresh, tuple(uncovered))


def why_uncovered(change: Change, candidates: Iterable[Change]) -> str | None:
    """``None`` when ``candidates`` (reviewed changes at the same address) cover ``change``;
    otherwise the reason, naming each field whose value was not reviewed."""
    candidates = list(candidates)
    if not candidates:
        return "in no reviewed plan"
    allowed = COVERED_BY[change.action]
    usable = [c for c in candidates if c.action in allowed]
    if not usable:
        seen = " or ".join(sorted({_a(c.action) for c in candidates}))
        return f"reviewed as {seen}, now {_a(change.action)}"
    if change.action == "delete":
        return None
    reviewed: dict[str, set[bytes]] = {}
    shown: dict[str, list[JSON]] = {}
    for c in usable:
        for f in c.fields:
            key = canonical(f.after)
            if key not in reviewed.setdefault(f.field, set()):
                reviewed[f.field].add(key)
                shown.setdefault(f.field, []).append(f.after)
    problems = []
    for f in change.fields:
        if f.field not in reviewed:
            problems.append(f"{f.field} -> {_show(f.after)} was not reviewed")
        elif canonical(f.after) not in reviewed[f.field]:
            was = " or ".join(_show(v) for v in shown[f.field])
            problems.append(f"{f.field} -> {_show(f.after)}, reviewed {was}")
    return "; ".join(problems) if problems else None


def describe(result: Coverage) -> str:
    """The refusal message: how many changes are unreviewed, then one line for each."""
    lines = [
        f"{len(result.uncovered)} of {len(result.fresh.changes)} change(s) in the fresh plan "
        "were not reviewed; nothing was applied:"
    ]
    lines.extend(f"  {u}" for u in result.uncovered)
    return "\n".join(lines)


def _a(action: Action) -> str:
    return f"an {action}" if action == "update" else f"a {action}"


def _show(value: JSON) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
