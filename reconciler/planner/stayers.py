"""A calling location the plan disables while calling users stay there.

Webex's disable-calling job fails while users are associated with the location ("Users
associated", a blocking reason of its safe-delete check). The plan moves out or removes the
users it manages first; a live calling user it leaves there (one no YAML declares while prune
is off) or a person without a subscription holding an extension there would make the job fail
after a green plan, so the disable is blocked at the location's FILE:LINE, naming them. Only
the live state already read is used.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.model import State
from reconciler.plan import Change, Notice, UserFacts
from reconciler.planner.calling import where
from reconciler.planner.common import Findings


def calling_users_left(changes: Iterable[Change], desired: State, live: State) -> Findings:
    """A blocked reason for each calling disable whose location keeps calling users."""
    planned = list(changes)
    disabling = {
        (c.customer, c.name) for c in planned if c.kind == "calling" and c.action == "delete"
    }
    if not disabling:
        return Findings()
    leaving = {(c.customer, (c.name or "").lower()) for c in planned if _takes_away(c)}
    left: dict[tuple[str, str | None], list[str]] = {}
    for (ext, email), user in live.users.items():
        line = user.phone_number or user.extension
        if (ext, user.location) in disabling and line and (ext, email) not in leaving:
            left.setdefault((ext, user.location), []).append(email)
    for (ext, location, _), email in live.extensions.items():
        if (ext, location) in disabling:
            left.setdefault((ext, location), []).append(f"{email} (no subscription)")
    blocked = []
    for (ext, name), emails in sorted(
        left.items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        loc = desired.locations.get((ext, name or ""))
        blocked.append(
            Notice(
                f"calling/{ext}/{name}",
                f"{len(emails)} calling user(s) stay at location '{name}': "
                f"{', '.join(sorted(set(emails)))}; Webex refuses to disable calling while users "
                "are associated with it: move or remove them in this plan (prune, or declare "
                f"them with another location) first{where(loc)}",
            )
        )
    return Findings(blocked=tuple(blocked))


def _takes_away(change: Change) -> bool:
    """Whether a user change takes the user out of its live location (removed, pruned, moved)."""
    if change.kind != "user":
        return False
    if change.action == "delete":
        return True
    facts = change.facts
    return isinstance(facts, UserFacts) and facts.sets_location is not None
