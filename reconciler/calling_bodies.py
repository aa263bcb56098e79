"""Webex Calling request bodies from the facts of a plan's calling steps (pure).

``POST /telephony/config/locations`` enables calling at a ``/locations`` location: its id,
name, time zone, both languages and address (``address1``/``city``/``country`` required);
``POST /telephony/config/jobs/person/moveLocation`` moves one calling user with its number.
"""

from __future__ import annotations

from typing import Any

from reconciler.bodies import location_address
from reconciler.errors import PlanError
from reconciler.plan import CallingFacts, Change

Body = dict[str, Any]


def enable_calling(change: Change, *, location_id: str) -> Body:
    """The enable body of a ``create calling/…`` step (its CallingFacts)."""
    facts = change.facts
    if not isinstance(facts, CallingFacts) or facts.location is None:
        raise PlanError(f"{change.action} {change.address} carries no CallingFacts")
    location = facts.location
    language = facts.language
    if facts.address is None or not location.time_zone or not language:
        raise PlanError(
            f"{change.address}: enabling calling needs an address, a time zone and a language"
        )
    return {
        "id": location_id,
        "name": location.name,
        "timeZone": location.time_zone,
        "preferredLanguage": language,
        "announcementLanguage": location.announcement_language or language,
        "address": location_address(facts.address),
    }


def move_user(
    person_id: str, location_id: str, phone_number: str | None, extension: str | None
) -> Body:
    """A move of one calling user (``validate: false``) with the number and extension it
    keeps or takes at the target location."""
    user: Body = {"userId": person_id}
    if phone_number:
        user["phoneNumber"] = phone_number
    if extension:
        user["extension"] = extension
    return {"usersList": [{"locationId": location_id, "validate": False, "users": [user]}]}
