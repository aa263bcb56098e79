"""Live objects found twice under one key: reported, and blocking the changes that touch them.

Webex may not enforce a key the planner matches by (location names within a customer are
unconfirmed; two applies racing can create a location twice), and a read can list two
subscribers with one email. The live ``State`` keeps one object per key, so a change planned
against it could reach either one, and a plan that says "No changes" could hide the other. So
each duplicate in scope is a *blocked* reason (naming the address and every ID) when a change
touches it (a change at its address, a rename from it, a user put into or taken out of a
duplicated location), else a warning. Fix it in Partner Hub (rename or delete one), or
``--force``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reconciler.model import Duplicate
from reconciler.plan import Change, LocationFacts, Notice, UserFacts, address_of
from reconciler.planner.common import Findings


def duplicate_findings(
    changes: Iterable[Change], duplicates: Iterable[Duplicate], in_scope: Callable[[str], bool]
) -> Findings:
    """For each duplicate in scope: a blocked reason when a change touches it (naming the
    changes), else a warning."""
    found = [d for d in duplicates if in_scope(d.customer)]
    if not found:
        return Findings()
    touching: dict[tuple[str, str, str], list[str]] = {}
    for change in changes:
        for key in touched_keys(change):
            touching.setdefault(key, []).append(f"{change.action} {change.address}")
    warnings, blocked = [], []
    for dup in found:
        address = address_of(dup.kind, dup.customer, dup.key)
        what = "name" if dup.kind == "location" else "email"
        seen = (
            f"{len(dup.ids)} live {dup.kind}s have this {what} (ids {', '.join(dup.ids)}); "
            "the plan sees one of them"
        )
        hits = touching.get((dup.kind, dup.customer, dup.key))
        if not hits:
            warnings.append(Notice(address, seen))
            continue
        fix = "rename or delete one" if dup.kind == "location" else "delete one"
        blocked.append(
            Notice(
                address,
                f"{seen}, so a change could reach either: {', '.join(sorted(set(hits)))}; "
                f"{fix} in Partner Hub",
            )
        )
    return Findings(warnings=tuple(warnings), blocked=tuple(blocked))


def touched_keys(change: Change) -> list[tuple[str, str, str]]:
    """The (kind, customer, key) of the live objects ``change`` reads or writes."""
    keys: list[tuple[str, str, str]] = []
    if change.kind in ("location", "user") and change.name is not None:
        key = change.name.lower() if change.kind == "user" else change.name
        keys.append((change.kind, change.customer, key))
    facts = change.facts
    if isinstance(facts, LocationFacts) and facts.previous_name:
        keys.append(("location", change.customer, facts.previous_name))
    if isinstance(facts, UserFacts):
        for name in (facts.sets_location, facts.leaves_location):
            if name:
                keys.append(("location", change.customer, name))
    for field in change.fields:
        if change.kind == "user" and field.field == "location":
            for name in (field.before, field.after):
                if isinstance(name, str):
                    keys.append(("location", change.customer, name))
    return keys
