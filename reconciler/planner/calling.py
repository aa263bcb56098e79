"""Webex Calling steps of one customer: enable or disable calling at a location, add or
remove its managed numbers, and what blocks them.

A location made with ``POST /locations`` is not a calling location: a desired calling
location that is not one (or is created by this plan) gets ``create calling/EXT/LOC``
(``POST /telephony/config/locations``), except the headquarters a customer change carries
(provisioning makes it a calling location). A live calling location that is deleted, or
declared ``calling: false``, gets ``delete calling/EXT/LOC`` (the disable-calling job) first.
A location declaring ``numbers`` gets ``create``/``delete number/EXT/LOC/+E164`` for each
number missing from / extra in its live inventory.

Only known facts are compared: a desired ``calling`` of ``None`` (not resolved) plans
nothing, and a live location whose calling state was not read (``None``) counts as not
calling only when its customer holds no calling package live (nothing was read because
there is nothing to read).

Blocked, each at the object's FILE:LINE: a delete of the headquarters location; leaving a
location's main number (its calling line ID, which Webex never removes) out of its declared
``numbers``; a user's
number that is in no inventory of its location (when that inventory is known) and not added
by the plan; a number another person holds and keeps; enabling calling without a time zone or
a language.

A user's number at a location whose calling this plan enables (or whose customer's
provisioning makes it a calling location), and that the plan does not add, can only come
from the location's PSTN provider (Cisco Calling Plans, an integrated cloud-connected PSTN):
its inventory is empty until then, so nothing can be checked. Such a user change is marked
(``UserFacts.provider_number``: apply waits for the number to arrive before sending it) and
the plan warns once per location, naming the numbers (:mod:`reconciler.planner.provider`).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from reconciler.model import Customer, Location, User, has_calling, leaves_calling
from reconciler.plan import (
    CallingFacts,
    Change,
    FieldDiff,
    Notice,
    NumberFacts,
    address_of,
)
from reconciler.planner.common import Findings, merged

ENABLE_NOTE = "enable Webex Calling (POST /telephony/config/locations)"
DISABLE_NOTE = "disable Webex Calling first (the deleteCallingLocation job)"
ADD_NOTE = "add to the location's number inventory (Local Gateway / non-integrated PSTN)"
REMOVE_NOTE = "remove from the location's number inventory"


def where(obj: Location | User | Customer | None) -> str:
    """`` (FILE:LINE:COL)`` of a desired object, or empty."""
    source = obj.source if obj is not None else None
    return f" ({source})" if source is not None else ""


@dataclass(frozen=True, slots=True)
class Scene:
    """One customer's desired and live objects, as the calling rules read them."""

    cust: Customer
    live_cust: Customer | None
    desired_locs: Mapping[str, Location]
    live_locs: Mapping[str, Location]
    desired_users: Mapping[str, User]
    live_users: Mapping[str, User]
    #: the headquarters the customer's change creates (a calling location by provisioning)
    carried: str | None
    #: live name → desired name of renamed locations
    renames: Mapping[str, str]
    #: live location names this plan deletes
    deleted: Set[str]
    prune: bool = False

    def travelling(self) -> frozenset[str]:
        """Numbers of users that change location and keep their number."""
        out: set[str] = set()
        for email, user in self.desired_users.items():
            live = self.live_users.get(email)
            if live is None or not live.phone_number or user.state != "present":
                continue
            was = self.renames.get(live.location or "", live.location)
            if was != user.location and user.phone_number in (None, live.phone_number):
                out.add(live.phone_number)
        return frozenset(out)

    def live_of(self, name: str) -> Location | None:
        """The live location behind a desired name (its own, or the old name of a rename)."""
        old = next((o for o, n in self.renames.items() if n == name), None)
        return self.live_locs.get(old if old is not None else name)

    def is_calling(self, live: Location) -> bool | None:
        """Whether a live location is a calling location; None: not known."""
        if live.calling is not None:
            return live.calling
        if self.live_cust is not None and not has_calling(self.live_cust.packages):
            return False
        return None


def live_calling(scene: Scene) -> frozenset[str]:
    """Names of the live locations known to be calling locations."""
    return frozenset(n for n, loc in scene.live_locs.items() if scene.is_calling(loc))


def plan_calling(scene: Scene) -> Findings:
    """The calling and number steps of one customer, and what blocks them."""
    ext = scene.cust.external_id
    parts: list[Findings] = []
    for name, loc in sorted(scene.desired_locs.items()):
        if loc.state != "present":
            continue
        live = scene.live_of(name)
        parts.append(_calling_of(scene, loc, live))
        parts.append(_numbers_of(ext, loc, live, scene))
    for name in sorted(scene.deleted):
        live = scene.live_locs[name]
        if name == scene.cust.headquarters:
            message = (
                "the headquarters location of a customer cannot be deleted (Webex refuses "
                "it): keep it, or name another location as headquarters"
                f"{where(scene.desired_locs.get(name) or scene.cust)}"
            )
            parts.append(Findings(blocked=(Notice(address_of("location", ext, name), message),)))
        if scene.is_calling(live):
            parts.append(Findings(changes=(_disable(ext, name),)))
    found = merged(parts)
    added = {
        (c.facts.location, c.facts.number)
        for c in found.changes
        if isinstance(c.facts, NumberFacts) and c.action == "create"
    }
    return merged((found, Findings(blocked=_user_blocks(scene, added))))


def _calling_of(scene: Scene, loc: Location, live: Location | None) -> Findings:
    ext = scene.cust.external_id
    if loc.calling is None:
        return Findings()
    if live is None:
        if not loc.calling or scene.carried == loc.name:
            return Findings()
    else:
        calling = scene.is_calling(live)
        if calling is None or calling == loc.calling:
            return Findings()
        if calling and not loc.calling and live.name not in scene.deleted:
            return Findings(changes=(_disable(ext, loc.name),))
        if not loc.calling:
            return Findings()
    language = loc.preferred_language or scene.cust.language
    facts = CallingFacts(loc, loc.address or scene.cust.address, language)
    change = Change(
        "create",
        "calling",
        ext,
        loc.name,
        fields=(FieldDiff("calling", False if live is not None else None, True),),
        notes=(ENABLE_NOTE,),
        facts=facts,
    )
    missing = [
        what
        for what, value in (("timeZone", loc.time_zone), ("preferredLanguage", language))
        if not value
    ]
    blocked: tuple[Notice, ...] = ()
    if missing:
        message = (
            f"enabling Webex Calling needs {' and '.join(missing)}: declare "
            f"{'them' if len(missing) > 1 else 'it'} on the location{where(loc)}"
        )
        blocked = (Notice(address_of("location", ext, loc.name), message),)
    return Findings(changes=(change,), blocked=blocked)


def _disable(ext: str, name: str) -> Change:
    fields = (FieldDiff("calling", True, False),)
    return Change("delete", "calling", ext, name, fields=fields, notes=(DISABLE_NOTE,))


def _numbers_of(ext: str, loc: Location, live: Location | None, scene: Scene) -> Findings:
    if loc.numbers is None:
        return Findings()
    if live is None:
        have: set[str] = set()
    elif scene.is_calling(live) is False:
        have = set()
    elif scene.is_calling(live) is None or live.numbers is None:
        return Findings()  # the inventory was not read: nothing to compare with
    else:
        have = set(live.numbers)
    # a number a moving user keeps travels with it (the move-users job): neither added here
    # nor removed there
    want = set(loc.numbers) - scene.travelling()
    have -= scene.travelling()
    changes = [_number("create", ext, loc.name, n) for n in sorted(want - have)]
    main = live.main_number if live is not None else None
    changes += [_number("delete", ext, loc.name, n) for n in sorted(have - want) if n != main]
    if main is None or main not in have - want:
        return Findings(changes=tuple(changes))
    # Webex refuses to remove the calling line ID: plan no removal that must fail
    message = (
        f"number {main} is the main number (calling line ID) of location '{loc.name}' and "
        "cannot be removed: keep it in the location's numbers, or make another number the "
        f"location's main number in Control Hub first{where(loc)}"
    )
    blocked = (Notice(address_of("location", ext, loc.name), message),)
    return Findings(changes=tuple(changes), blocked=blocked)


def _number(action: str, ext: str, location: str, number: str) -> Change:
    create = action == "create"
    return Change(
        "create" if create else "delete",
        "number",
        ext,
        f"{location}/{number}",
        fields=(FieldDiff("location", None if create else location, location if create else None),),
        notes=(ADD_NOTE if create else REMOVE_NOTE,),
        facts=NumberFacts(location, number),
    )


def _user_blocks(scene: Scene, added: Set[tuple[str, str]]) -> tuple[Notice, ...]:
    """A user's number in no inventory of its location, or held by another person."""
    ext = scene.cust.external_id
    holders = {u.phone_number: email for email, u in scene.live_users.items() if u.phone_number}
    blocked: list[Notice] = []
    for email, user in sorted(scene.desired_users.items()):
        number, place = user.phone_number, user.location
        if user.state != "present" or not number or place is None:
            continue
        live_user = scene.live_users.get(email)
        if live_user is not None and live_user.phone_number == number:
            continue  # it keeps its number (a move-users job carries it along)
        addr = address_of("user", ext, email)
        holder = holders.get(number)
        if holder is not None and holder != email and _keeps(scene, holder, number):
            blocked.append(
                Notice(
                    addr,
                    f"phoneNumber {number} is held by {holder}, who keeps it: free it there "
                    f"first, or give this user another number{where(user)}",
                )
            )
            continue
        if (place, number) in added:
            continue
        live = scene.live_of(place)
        if live is None or not scene.is_calling(live) or live.numbers is None:
            continue  # the inventory is not known before calling is enabled
        if number not in live.numbers:
            elsewhere = [n for n, loc in scene.live_locs.items() if number in (loc.numbers or ())]
            found = f" (it is in location '{elsewhere[0]}')" if elsewhere else ""
            blocked.append(
                Notice(
                    addr,
                    f"phoneNumber {number} is in no number inventory of location '{place}'"
                    f"{found}: add it to the location's numbers (Local Gateway), or have "
                    f"the PSTN provider assign it there{where(user)}",
                )
            )
    return tuple(blocked)


def _keeps(scene: Scene, holder: str, number: str) -> bool:
    """Whether the live holder of ``number`` still holds it once the plan is applied."""
    want = scene.desired_users.get(holder)
    if want is None:
        return not scene.prune  # a pruned user releases it; one left alone keeps it
    if leaves_calling(want, scene.live_users[holder]):
        return False  # its package change gives the number up with the calling licence
    return want.state == "present" and (want.phone_number or number) == number
