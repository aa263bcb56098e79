"""Extensions one customer's user changes take, and who holds them live.

Webex refuses an extension that another person holds at the same location (409). A user
change that gives a user an extension at a location (a create, or an update that changes its
extension or location) is blocked, at the user's FILE:LINE, when a live person other than the
user holds it there and still will when the change runs: a person with no subscription (no YAML
can manage it), a live user no YAML declares (prune off), a user this plan removes (removing a
subscription leaves the person, extension and all), or a declared user who keeps it. A declared
user who gives it up in the same plan is waited for (``depends_on`` its change) unless it waits
itself for another user's extension (a swap or a chain, which one apply cannot order).

Only the live state already read is used: its users and ``State.extensions`` (the people
without a subscription), no request per object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.model import CALLING_USER_PACKAGES, Customer, User
from reconciler.plan import Change, Notice, address_of
from reconciler.planner.calling import where

Slot = tuple[str, str]  # (location name, extension)


@dataclass(frozen=True, slots=True)
class ExtensionFindings:
    """What blocks users' extensions, and the user changes each user change must wait for."""

    blocked: tuple[Notice, ...] = ()
    waits_for: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


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
) -> ExtensionFindings:
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
    waiting = {
        e for e, slot in takers.items() if others.get(slot) or set(holders.get(slot, ())) - {e}
    }
    blocked: list[Notice] = []
    waits: dict[str, tuple[str, ...]] = {}
    for email, slot in sorted(takers.items()):
        user = desired[email]
        reasons: list[str] = []
        if slot in others:
            reasons.append(f"{others[slot]}, a person with no subscription (no YAML manages it)")
        after: list[str] = []
        for holder in sorted(set(holders.get(slot, ())) - {email}):
            why = _still_holds(holder, slot, desired, live, renames, prune, planned, waiting)
            if why is None:
                after.append(address_of("user", ext, holder))
            else:
                reasons.append(f"{holder}, {why}")
        if reasons:
            location, number = slot
            blocked.append(
                Notice(
                    address_of("user", ext, email),
                    f"extension {number} at location '{location}' is held by "
                    f"{'; and by '.join(reasons)}: Webex refuses a second holder there; free "
                    f"it first, or give this user another extension{where(user)}",
                )
            )
        elif after:
            waits[email] = tuple(after)
    return ExtensionFindings(tuple(blocked), waits)


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
    waiting: set[str],
) -> str | None:
    """Why ``holder`` still holds ``slot`` when the taker's change runs; None: it gives it up
    in a change of this plan that the taker can wait for."""
    want = desired.get(holder)
    if want is None:
        if prune:
            return "whose subscription this plan removes (the person keeps its extension)"
        return "a live user no YAML declares (prune off: left alone)"
    if want.state != "present":
        return "whose subscription this plan removes (the person keeps its extension)"
    have = live[holder]
    now = _live_slot(have, renames)
    assert now is not None
    then = (want.location or now[0], want.extension or now[1])
    if then == slot or holder not in planned:
        return "who keeps it"
    if holder in waiting:
        return "who gives it up in this plan but waits itself for another extension (apply twice)"
    return None
