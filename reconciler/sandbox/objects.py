"""Building and storing the org-side objects (people, locations) and the fixed role list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reconciler.sandbox.ids import encode, fixed_uuid
from reconciler.sandbox.store import Doc, Store

ROLE_NAMES = (
    "Full Administrator",
    "Read-only Administrator",
    "Support Administrator",
    "User and Device Administrator",
    "Device Administrator",
    "Compliance Officer",
)
ROLES = [{"id": encode("ROLE", fixed_uuid(name)), "name": name} for name in ROLE_NAMES]
ROLE_IDS = {r["id"] for r in ROLES}
FULL_ADMIN_ROLE = ROLES[0]["id"]

#: the partner's own organization: where /people and /locations look without ``orgId``
PARTNER_ORG = encode("ORGANIZATION", fixed_uuid("partner-org"))
PARTNER_ORG_NAME = "Sandbox Partner"
PARTNER_ORG_CREATED = "2020-01-01T00:00:00.000Z"


def iso(seconds: float) -> str:
    """An ISO-8601 UTC timestamp (milliseconds) for a clock reading."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def person_cols(doc: Doc) -> dict[str, Any]:
    emails = doc.get("emails") or [""]
    phones = [p.get("value") for p in doc.get("phoneNumbers", []) if p.get("type") == "work"]
    return {
        "org_id": doc["orgId"],
        "email_lc": str(emails[0]).lower(),
        "phone": phones[0] if phones else None,
        "extension": doc.get("extension"),
        "location_id": doc.get("locationId"),
    }


def person_doc(
    id_: str,
    stamp: str,
    *,
    org_id: str,
    email: str,
    first: str = "",
    last: str = "",
    phone: str = "",
    extension: str = "",
    location_id: str = "",
    roles: list[str] | None = None,
) -> Doc:
    """A person document as People answers it (not stored)."""
    display = " ".join(p for p in (first, last) if p) or email.split("@")[0]
    doc: Doc = {
        "id": id_,
        "emails": [email],
        "phoneNumbers": [{"type": "work", "value": phone, "primary": True}] if phone else [],
        "displayName": display,
        "orgId": org_id,
        "roles": roles or [],
        "licenses": [],
        "created": stamp,
        "lastModified": stamp,
        "status": "inactive",
        "invitePending": "false",
        "loginEnabled": "true",
        "type": "person",
    }
    if first:
        doc["firstName"] = first
    if last:
        doc["lastName"] = last
    if extension:
        doc["extension"] = extension
    if location_id:
        doc["locationId"] = location_id
    return doc


def new_person(store: Store, now: float, **fields: Any) -> Doc:
    """Create a person (``person_doc`` fields; the store row included) and return it."""
    doc = person_doc(store.mint("PEOPLE"), iso(now), **fields)
    store.insert("people", doc, **person_cols(doc))
    return doc


def location_cols(doc: Doc) -> dict[str, Any]:
    return {"org_id": doc["orgId"], "name_lc": str(doc["name"]).lower()}


def new_location(store: Store, *, org_id: str, fields: dict[str, Any], calling: bool) -> Doc:
    """Create a location; ``calling`` marks it calling-enabled (it cannot be deleted)."""
    doc: Doc = {"id": store.mint("LOCATION"), "orgId": org_id, **fields, "_calling": calling}
    store.insert("locations", doc, **location_cols(doc))
    return doc


def public(doc: Doc) -> Doc:
    """The document without the sandbox's private ``_`` fields."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}
