"""A user created in one customer whose email is a person of another customer's org.

An email belongs to one Webex organization. Partner Hub refuses to provision a subscriber whose
email is already a person elsewhere ("The email is already associated with an existing
user"), and removing a subscription leaves the person where it was (``DELETE
/wholesale/subscribers`` "Removes the mapping between Wholesale Subscriber and a Webex user").
So moving a user from one customer to another in the YAML (``state: absent`` in one, a new user
in the other) cannot be applied: the create is blocked, naming the org that holds the person,
until the person is removed there. Only the orgs the plan read are known (a scoped plan reads
its own customers; ``plan --precheck`` asks Partner Hub about every create).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.model import State, User
from reconciler.plan import Change, Notice, UserFacts
from reconciler.planner.calling import where
from reconciler.planner.common import Findings


def foreign_emails(changes: Iterable[Change], live: State) -> Findings:
    """A blocked reason for each user create whose email is a person of another org read."""
    creates = [c for c in changes if c.kind == "user" and c.action == "create"]
    if not creates:
        return Findings()
    holders: dict[str, set[str]] = {}
    for ext, email in live.users:
        holders.setdefault(email, set()).add(ext)
    for email, ext in live.bare_people.items():
        holders.setdefault(email, set()).add(ext)
    blocked = []
    for change in creates:
        email = (change.name or "").lower()
        elsewhere = sorted(holders.get(email, set()) - {change.customer})
        if elsewhere:
            blocked.append(
                Notice(change.address, _message(email, elsewhere[0], live.users, change))
            )
    return Findings(blocked=tuple(blocked))


def _message(email: str, holder: str, users: Mapping[tuple[str, str], User], change: Change) -> str:
    how = "a user" if (holder, email) in users else "a person (no subscription)"
    user = change.facts.user if isinstance(change.facts, UserFacts) else None
    return (
        f"{email} is already {how} of customer {holder}'s organization, and an email belongs "
        f"to one organization (Webex keeps the person when its subscription is removed): "
        f"use another email, or remove the person from {holder}'s organization in Control Hub "
        f"first"
        f"{where(user)}"
    )
