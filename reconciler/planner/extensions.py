"""Extensions one customer's user changes take, and who holds them live.

Webex refuses an extension that another person holds at the same location (409). A user
change that gives a user an extension at a location (a create, or an update that changes its
extension or location) is blocked, at the user's FILE:LINE, when a live person other than the
user holds it there and still will when the change runs: a person with no subscription (no YAML
can manage it), a live user no YAML declares (prune off), or a declared user who keeps it, or
who frees it in this plan only by taking one the user holds (a swap, which one apply cannot
order). A holder whose change frees it (removed, pruned, given another extension or location)
is waited for instead (:mod:`reconciler.planner.order`).

Only the live state already read is used: its users and ``State.extensions`` (the people
without a subscription), no request per object.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.model import CALLING_USER_PACKAGES, Customer, User, leaves_calling
from reconciler.plan import Change, Notice, address_of
from reconciler.planner.calling import where

Slot = tuple[str, str]  # (location name, extension)
SWAP = "who frees it only by taking this user's (a swap: give one a free extension first)"


def _live_slot(user: User, renames: Mapping[str, str]) -> Slot | None:
    location = renames.get(user.location or "", user.location)
    return (location, user.extension) if location and user.extension else None


def check_extensions(
    cust: Customer,
    desired: Mapping[str, User],
    live: Mapping[str, User],
    *,
    held: Mapping[Slot, str],
    renames: Mapping[str, str],
    prune: bool,
    changes: tuple[Change, ...],
) -> tuple[Notice, ...]:
    """``held``: (live location name, extension) → email of a person without a subscription;
    ``changes``: the customer's user changes (only a planned change takes an extension)."""
    ext = cust.external_id
    planned = {c.name for c in changes if c.kind == "user" and c.action != "delete"}
    holders: dict[Slot, list[str]] = {}
    for email, user in live.items():
        slot = _live_slot(user, renames)
        if slot is not None:
            holders.setdefault(slot, []).append(email)
    others = {(renames.get(loc, loc), number): email for (loc, number), email in held.items()}
    takers = _takers(cust, desired, live, renames, planned)
    blocked: list[Notice] = []
    for email, slot in sorted(takers.items()):
        reasons: list[str] = []
        if slot in others:
            reasons.append(f"{others[slot]}, a person with no subscription (no YAML manages it)")
        mine = _live_slot(live[email], renames) if email in live else None
        for holder in sorted(set(holders.get(slot, ())) - {email}):
            why = _still_holds(holder, slot, desired, live, renames, prune, planned)
            if why is None and mine is not None and takers.get(holder) == mine:
                why = SWAP
            if why is not None:
                reasons.append(f"{holder}, {why}")
        if reasons:
            location, number = slot
            blocked.append(
                Notice(
                    address_of("user", ext, email),
                    f"extension {number} at location '{location}' is held by "
                    f"{'; and by '.join(reasons)}: Webex refuses a second holder there; free "
                    f"it first, or give this user another extension{where(desired[email])}",
                )
            )
    return tuple(blocked)


def _takers(
    cust: Customer,
    desired: Mapping[str, User],
    live: Mapping[str, User],
    renames: Mapping[str, str],
    planned: set[str | None],
) -> dict[str, Slot]:
    """Email → the slot a planned change gives the user, when it is not the one it holds: a
    calling user with an extension, at its location (undeclared: where it is live, or the
    headquarters, where Partner Hub puts a new user without one)."""
    takers: dict[str, Slot] = {}
    for email, user in desired.items():
        match = live.get(email)
        now = _live_slot(match, renames) if match is not None else None
        place = (
            user.location
            or (now[0] if now else (match and match.location))
            or (cust.headquarters if match is None else None)
        )
        if (
            email not in planned
            or user.state != "present"
            or user.package not in CALLING_USER_PACKAGES
            or not user.extension
            or not place
        ):
            continue
        slot = (place, user.extension)
        if now != slot:
            takers[email] = slot
    return takers


def _still_holds(
    holder: str,
    slot: Slot,
    desired: Mapping[str, User],
    live: Mapping[str, User],
    renames: Mapping[str, str],
    prune: bool,
    planned: set[str | None],
) -> str | None:
    """Why ``holder`` still holds ``slot`` when the taker's change runs; None: a change of this
    plan frees it (removing a subscription releases its calling line)."""
    want = desired.get(holder)
    if want is None:
        return None if prune else "a live user no YAML declares (prune off: left alone)"
    if want.state != "present" or (holder in planned and leaves_calling(want, live[holder])):
        return None
    now = _live_slot(live[holder], renames)
    assert now is not None
    then = (want.location or now[0], want.extension or now[1])
    if then == slot or holder not in planned:
        return "who keeps it"
    return None
