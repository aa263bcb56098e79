"""``/v1/telephony/config/locations`` (enable, list, get) and ``…/countries/{countryCode}``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import rules
from reconciler.sandbox.calling import (
    MANAGED_PSTN,
    calling_location,
    pstn_of,
    sync_provider_numbers,
)
from reconciler.sandbox.countries import address_problems
from reconciler.sandbox.errors import ApiError, bad_request, not_found
from reconciler.sandbox.ids import encode, fixed_uuid
from reconciler.sandbox.objects import location_cols
from reconciler.sandbox.org import org_of
from reconciler.sandbox.shapes import CALLING_LOCATION_POST
from reconciler.sandbox.store import Doc
from reconciler.sandbox.web import Ctx, int_param, json_response, next_link, page_size

ADDRESS_KEYS = ("address1", "address2", "city", "state", "postalCode", "country")


def enable_problems(body: dict[str, Any]) -> list[str]:
    """The enable body: id, name, timeZone, languages, address (country rules come later)."""
    problems: list[str] = []
    for key in ("id", "name", "timeZone", "preferredLanguage", "announcementLanguage"):
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key} is required.")
    name = body.get("name")
    if isinstance(name, str) and len(name) > 80:
        problems.append("name of a calling location has at most 80 characters.")
    for key in ("preferredLanguage", "announcementLanguage"):
        value = body.get(key)
        if isinstance(value, str) and value and not rules.LANGUAGE.match(value):
            problems.append(f"{key} must look like en_us.")
    address = body.get("address")
    if not isinstance(address, dict):
        problems.append("address is required.")
        return problems
    for key in ADDRESS_KEYS:
        value = address.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"address.{key} must be a string.")
    for key in ("address1", "city", "country"):
        if not address.get(key):
            problems.append(f"address.{key} is required.")
    return problems


async def enable_location(ctx: Ctx, request: Request) -> Response:
    """``POST /telephony/config/locations``: a plain location becomes a calling location
    (201 ``{id}``); its address and time zone must satisfy its country's configuration."""
    org_id = org_of(ctx, request)
    body = await ctx.body(request, CALLING_LOCATION_POST)
    problems = enable_problems(body)
    if problems:
        raise bad_request(*problems)
    location = ctx.store.get("locations", body["id"])
    if location is None or location["orgId"] != org_id:
        raise not_found("Location")
    if location.get("_calling"):
        raise ApiError(409, f"Location {location['name']} is already enabled for Webex Calling.")
    address = {k: body["address"][k] for k in ADDRESS_KEYS if body["address"].get(k)}
    code = str(address["country"]).upper()
    country = ctx.cfg.countries.get(code)
    if country is None:
        raise bad_request(f"Country {code} is not supported for Webex Calling.")
    problems = address_problems(country, address, body["timeZone"])
    if problems:
        raise bad_request(*problems)
    location.update(
        _calling=True,
        address=address,
        timeZone=body["timeZone"],
        announcementLanguage=body["announcementLanguage"],
    )
    ctx.store.update("locations", location, **location_cols(location))
    sync_provider_numbers(ctx.store, ctx.cfg, location["id"])
    return json_response({"id": location["id"]}, 201)


def _main_number(location: Doc) -> dict[str, Any]:
    line: dict[str, Any] = {"name": location["name"]}
    if location.get("_main"):
        line["phoneNumber"] = location["_main"]
    return line


def render_summary(location: Doc) -> Doc:
    return {
        "id": location["id"],
        "name": location["name"],
        "callingLineId": _main_number(location),
        "e911SetupRequired": False,
    }


async def list_calling_locations(ctx: Ctx, request: Request) -> Response:
    """``GET /telephony/config/locations``: only the org's calling locations, ``Link`` paged,
    under ``locations``."""
    org_id = org_of(ctx, request)
    size = page_size(request, ctx.cfg.calling_locations_page)
    start = int_param(request, "start", 0)
    name = (request.query_params.get("name") or "").lower()
    order = (request.query_params.get("order") or "").lower()
    if order not in ("", "asc", "desc", "name", "name,asc", "name,desc"):
        raise bad_request("order must sort by name, asc or desc.")
    docs = [
        d
        for d in ctx.store.select("locations", {"org_id": org_id})
        if d.get("_calling") and name in d["name"].lower()
    ]
    if order:
        docs.sort(key=lambda d: d["name"].lower(), reverse=order.endswith("desc"))
    page = [render_summary(d) for d in docs[start : start + size]]
    headers = next_link(ctx, request, start + size, size) if start + size < len(docs) else None
    return json_response({"locations": page}, 200, headers)


async def get_calling_location(ctx: Ctx, request: Request) -> Response:
    """``GET /telephony/config/locations/{locationId}``: 404 for a plain location."""
    org_id = org_of(ctx, request)
    location = calling_location(ctx, org_id, request.path_params["locationId"])
    pstn = pstn_of(ctx, location)
    out: Doc = {
        "id": location["id"],
        "name": location["name"],
        "announcementLanguage": location.get("announcementLanguage")
        or location.get("preferredLanguage", "en_us"),
        "callingLineId": _main_number(location),
        "externalCallerIdName": location["name"],
        "userLimit": 500000,
        "outsideDialDigit": "",
        "routingPrefix": "",
        "defaultDomain": "sandbox.bcld.webex.example",
    }
    if pstn == "LOCAL_GATEWAY":
        # connection is answered only for premises PSTN (TRUNK / ROUTE_GROUP)
        out["connection"] = {"type": "TRUNK", "id": encode("TRUNK", fixed_uuid(location["id"]))}
    elif pstn not in MANAGED_PSTN:
        out["subscriptionId"] = f"pstn-{pstn.lower()}"
    return json_response(out)


async def get_country(ctx: Ctx, request: Request) -> Response:
    """``GET /telephony/config/countries/{countryCode}`` from ``SandboxConfig.countries``."""
    org_of(ctx, request)
    country = ctx.cfg.countries.get(request.path_params["countryCode"].upper())
    if country is None:
        raise not_found("Country")
    return json_response(country.answer())


async def get_pstn_connection(ctx: Ctx, request: Request) -> Response:
    """``GET /telephony/pstn/locations/{locationId}/connection``: the location's PSTN
    connection (the path and ``pstnConnectionType`` values are wxc_sdk's ``PSTNApi.read``; no
    extract has it). 404 for a location that is no calling location (INFERRED: a PSTN
    connection is chosen for a calling location)."""
    org_id = org_of(ctx, request)
    location = calling_location(ctx, org_id, request.path_params["locationId"])
    pstn = pstn_of(ctx, location)
    kind = "CISCO_PSTN" if pstn == "CISCO_CALLING_PLAN" else pstn
    out: Doc = {"pstnConnectionType": kind, "displayName": kind.replace("_", " ").title()}
    if pstn == "LOCAL_GATEWAY":
        out.update(routeType="TRUNK", routeId=encode("TRUNK", fixed_uuid(location["id"])))
    else:
        out["id"] = f"pstn-{pstn.lower()}"
    return json_response(out)
