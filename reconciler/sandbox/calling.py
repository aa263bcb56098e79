"""What the calling routes and the older routes share: which locations are calling
locations, their PSTN connection, the headquarters, the number inventory, calling users.

A location is a calling location only once enabled (``POST /telephony/config/locations``),
made by a calling provisioning, or seeded so. A number belongs to one org and location; its
owner is the person whose work number it is (derived, never stored twice).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.objects import location_cols
from reconciler.sandbox.store import Doc, Store

if TYPE_CHECKING:  # the request context; web.py imports the lifecycle, which imports us
    from reconciler.sandbox.web import Ctx

#: PSTN connections whose numbers are added and removed by API (the extract's warning:
#: "only supported for … non-integrated PSTN connection types such as Local Gateway (LGW)
#: and Non-integrated CPP").
MANAGED_PSTN = frozenset({"LOCAL_GATEWAY", "NON_INTEGRATED_CCP"})
PSTN_TYPES = MANAGED_PSTN | {"INTEGRATED_CCP", "CISCO_CALLING_PLAN"}


def customer_priv(store: Store, org_id: str) -> dict[str, Any]:
    rows = store.rows("customers", {"org_id": org_id})
    return rows[0]["priv"] if rows else {}


def _external_id(store: Store, org_id: str) -> str:
    rows = store.rows("customers", {"org_id": org_id})
    return str(rows[0]["doc"]["externalId"]) if rows else ""


def pstn_of(ctx: Ctx, location: Doc) -> str:
    """The location's PSTN connection: its seed fact, its customer's (seeded, or
    ``SandboxConfig.customer_pstn`` by externalId), else ``default_pstn``."""
    org_id = location["orgId"]
    seeded = location.get("_pstn") or customer_priv(ctx.store, org_id).get("pstn")
    if not seeded and ctx.cfg.customer_pstn:
        seeded = ctx.cfg.customer_pstn.get(_external_id(ctx.store, org_id))
    return str(seeded or ctx.cfg.default_pstn)


def sync_provider_numbers(store: Store, cfg: SandboxConfig, location_id: str | None) -> None:
    """What an integrated provider does once a location is a calling location: push its
    numbers (``SandboxConfig.provider_numbers``, by externalId and location name) into the
    location's inventory, at once or, with ``provider_sync_seconds``, that long later (the
    location is marked and :func:`settle_provider_numbers` pushes them when due). A number
    some inventory holds already is left where it is."""
    if not cfg.provider_numbers or not location_id:
        return
    location = store.get("locations", location_id)
    if location is None or not location.get("_calling"):
        return
    if cfg.provider_sync_seconds > 0 and not location.get("_provider_synced"):
        if location.get("_provider_due") is None:
            location["_provider_due"] = cfg.clock() + cfg.provider_sync_seconds
            store.update("locations", location, **location_cols(location))
        return
    _push(store, cfg, location)


def settle_provider_numbers(store: Store, cfg: SandboxConfig, now: float) -> None:
    """Push the provider numbers whose delayed sync is due (a no-op without the delay)."""
    if cfg.provider_sync_seconds <= 0 or not cfg.provider_numbers:
        return
    for ext, name in cfg.provider_numbers:
        rows = store.rows("customers", {"external_id": ext})
        org_id = rows[0]["doc"].get("orgId") if rows else None
        if not org_id:
            continue
        for location in store.select("locations", {"org_id": org_id}):
            due = location.get("_provider_due")
            if location["name"] == name and due is not None and due <= now:
                location.update(_provider_due=None, _provider_synced=True)
                store.update("locations", location, **location_cols(location))
                _push(store, cfg, location)
                store.commit()


def _push(store: Store, cfg: SandboxConfig, location: Doc) -> None:
    location_id = str(location["id"])
    key = (_external_id(store, location["orgId"]), str(location["name"]))
    for number in cfg.provider_numbers.get(key, ()):
        if store.get("numbers", number) is None:
            place_number(store, number, location["orgId"], location_id, "ACTIVE")


def headquarters_id(store: Store, org_id: str) -> str | None:
    """The calling location provisioning made (or the seed named), else the org's first."""
    hq = customer_priv(store, org_id).get("headquarters")
    if hq and store.get("locations", hq) is not None:
        return str(hq)
    first = store.ids("locations", {"org_id": org_id})
    return first[0] if first else None


def is_calling_user(person: Doc) -> bool:
    """A person with a calling line: a location and a number or extension."""
    return bool(person.get("locationId") and (person.get("extension") or work_number(person)))


def work_number(person: Doc) -> str:
    for number in person.get("phoneNumbers") or ():
        if number.get("type") == "work" and number.get("value"):
            return str(number["value"])
    return ""


def place_number(store: Store, number: str, org_id: str, location_id: str, state: str) -> None:
    """Put ``number`` into a location's inventory (moving it when the org holds it already)."""
    doc: Doc = {"id": number, "orgId": org_id, "locationId": location_id, "state": state}
    cols = {"org_id": org_id, "location_id": location_id, "state": state}
    if store.get("numbers", number) is None:
        store.insert("numbers", doc, **cols)
    else:
        store.update("numbers", doc, **cols)


def admit_line(ctx: Ctx, org_id: str, location: Doc, phone: str, *, moving: bool = False) -> bool:
    """Refuse a calling line (``phone`` may be empty) at ``location`` as Webex does.

    ``moving``: the line's user moves there with its number (a People PUT of the kinder
    reading). Returns True when the kinder reading (``implicit_calling_locations``) must
    still make the location a calling one or put the number into its inventory (see
    :func:`settle_line`).
    """
    implicit = ctx.cfg.implicit_calling_locations
    pending = False
    if not location.get("_calling"):
        if not implicit:
            raise ApiError(
                400,
                f"Location {location['name']} is not enabled for Webex Calling: enable it "
                "with POST /telephony/config/locations first.",
            )
        pending = True
    if phone:
        held = ctx.store.get("numbers", phone)
        if held is not None and held["orgId"] != org_id:
            raise ApiError(ctx.cfg.number_taken_status, f"The phone number {phone} is in use.")
        if implicit and (held is None or moving):
            return True
        if held is None or held["locationId"] != location["id"]:
            raise ApiError(
                400,
                f"The phone number, {phone}, is not available in the location {location['name']}.",
                code=27966,
            )
    return pending


def settle_line(ctx: Ctx, location_id: str, phone: str) -> None:
    """The kinder reading's side effects (no-op in Webex mode, where ``admit_line`` refused)."""
    if not ctx.cfg.implicit_calling_locations:
        return
    location = ctx.store.get("locations", location_id)
    if location is None:
        return
    if not location.get("_calling"):
        location["_calling"] = True
        ctx.store.update("locations", location, **location_cols(location))
        sync_provider_numbers(ctx.store, ctx.cfg, location_id)
    if phone:
        held = ctx.store.get("numbers", phone)
        if held is None or held["locationId"] != location_id:
            place_number(ctx.store, phone, location["orgId"], location_id, "ACTIVE")


def calling_location(ctx: Ctx, org_id: str, location_id: str) -> Doc:
    """A calling location of the org, else 404 (a plain location is not one)."""
    doc = ctx.store.get("locations", location_id)
    if doc is None or doc["orgId"] != org_id or not doc.get("_calling"):
        raise ApiError(404, "Location not found.", code=4152)
    return doc
