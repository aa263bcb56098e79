"""``/v1/telephony/config/numbers`` (the inventory) and
``/v1/telephony/config/locations/{locationId}/numbers`` (add, remove)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import rules
from reconciler.sandbox.calling import MANAGED_PSTN, calling_location, place_number, pstn_of
from reconciler.sandbox.errors import ApiError, bad_request
from reconciler.sandbox.org import org_of
from reconciler.sandbox.shapes import NUMBERS_DELETE, NUMBERS_POST
from reconciler.sandbox.store import Doc
from reconciler.sandbox.web import (
    Ctx,
    empty,
    int_param,
    json_response,
    next_link,
    page_size,
)

#: the extract: "Only 20 mobile numbers can be added per request"; DID adds document no cap
REMOVE_MAX = 5
NUMBER_TYPES = ("TOLLFREE", "DID", "MOBILE")


def _flag(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise bad_request(f"Query parameter {name} must be true or false.")
    return raw == "true"


def render_numbers(ctx: Ctx, rows: list[Doc]) -> list[Doc]:
    """Inventory rows as the list answers them: location and owner joined in two queries."""
    names = {
        d["id"]: d
        for d in ctx.store.select("locations", {"id": sorted({r["locationId"] for r in rows})})
    }
    owners = {
        p["phoneNumbers"][0]["value"]: p
        for p in ctx.store.select("people", {"phone": [r["id"] for r in rows]})
        if p.get("phoneNumbers")
    }
    out: list[Doc] = []
    for row in rows:
        location = names.get(row["locationId"], {})
        item: Doc = {
            "phoneNumber": row["id"],
            "state": row["state"],
            "phoneNumberType": "PRIMARY",
            "mainNumber": location.get("_main") == row["id"],
            "includedTelephonyTypes": "PSTN_NUMBER",
            "tollFreeNumber": False,
            "isServiceNumber": False,
            "isReservedNumber": False,
            "location": {"id": row["locationId"], "name": location.get("name", "")},
        }
        person = owners.get(row["id"])
        if person is not None and person["orgId"] == row["orgId"]:
            owner: Doc = {"id": person["id"], "type": "PEOPLE"}
            for key in ("firstName", "lastName"):
                if person.get(key):
                    owner[key] = person[key]
            item["owner"] = owner
            if person.get("extension"):
                item["extension"] = person["extension"]
        out.append(item)
    return out


async def list_numbers(ctx: Ctx, request: Request) -> Response:
    """``GET /telephony/config/numbers``: the org's numbers under ``phoneNumbers``, ``Link``
    paged (``start``/``max``, default 2000), filtered by location, number, state, owner."""
    org_id = org_of(ctx, request)
    query = request.query_params
    size = page_size(request, ctx.cfg.numbers_page)
    start = int_param(request, "start", 0)
    where: dict[str, Any] = {"org_id": org_id}
    if query.get("locationId"):
        where["location_id"] = query["locationId"]
    if query.get("phoneNumber"):
        where["id"] = query["phoneNumber"]
    if query.get("state") and query["state"] != "Default":
        if query["state"] not in ("ACTIVE", "INACTIVE"):
            raise bad_request("state must be ACTIVE, INACTIVE or Default.")
        where["state"] = query["state"]
    available = _flag(request, "available")
    rows = render_numbers(ctx, ctx.store.select("numbers", where, order="id"))
    if available is not None:
        rows = [r for r in rows if ("owner" in r) != available]
    if query.get("ownerId"):
        rows = [r for r in rows if r.get("owner", {}).get("id") == query["ownerId"]]
    page = rows[start : start + size]
    headers = next_link(ctx, request, start + size, size) if start + size < len(rows) else None
    return json_response({"phoneNumbers": page}, 200, headers)


def _numbers_body(body: dict[str, Any], *, most: int | None) -> list[str]:
    numbers = body.get("phoneNumbers")
    if not isinstance(numbers, list) or not numbers or not all(isinstance(n, str) for n in numbers):
        raise bad_request("phoneNumbers must be a non-empty list of E.164 numbers.")
    wrong = [n for n in numbers if not rules.E164.match(n)]
    if wrong:
        raise bad_request(*(f"Phone number {n} is not in E.164 format." for n in wrong))
    if most is not None and len(numbers) > most:
        raise bad_request(f"At most {most} phone numbers may be removed at a time.")
    return list(dict.fromkeys(numbers))


def _managed(ctx: Ctx, request: Request) -> tuple[str, Doc]:
    org_id = org_of(ctx, request)
    location = calling_location(ctx, org_id, request.path_params["locationId"])
    pstn = pstn_of(ctx, location)
    if pstn not in MANAGED_PSTN:
        raise ApiError(
            ctx.cfg.integrated_numbers_status,
            f"Numbers of location {location['name']} come from its PSTN provider ({pstn}); "
            "they cannot be added or removed by API.",
        )
    return org_id, location


async def add_numbers(ctx: Ctx, request: Request) -> Response:
    """``POST …/locations/{locationId}/numbers``: 201, no body. Numbers already at the
    location are ignored (documented); one held elsewhere is refused."""
    org_id, location = _managed(ctx, request)
    body = await ctx.body(request, NUMBERS_POST)
    numbers = _numbers_body(body, most=None)
    state = body.get("state", ctx.cfg.added_number_state)
    if state not in ("ACTIVE", "INACTIVE"):
        raise bad_request("state must be ACTIVE or INACTIVE.")
    if body.get("numberType") is not None and body["numberType"] not in NUMBER_TYPES:
        raise bad_request("numberType must be TOLLFREE, DID or MOBILE.")
    held = {d["id"]: d for d in ctx.store.select("numbers", {"id": numbers})}
    taken = [n for n in numbers if n in held and held[n]["locationId"] != location["id"]]
    if taken:
        raise ApiError(
            ctx.cfg.number_taken_status,
            taken[0] + " is already in use.",
            descriptions=[f"{n} is already in use." for n in taken],
        )
    for number in numbers:
        if number not in held:
            place_number(ctx.store, number, org_id, location["id"], state)
    return empty(201)


async def remove_numbers(ctx: Ctx, request: Request) -> Response:
    """``DELETE …/locations/{locationId}/numbers`` (JSON body, at most 5): 204. The main
    number, a number of another location, and a number a person owns are refused."""
    org_id, location = _managed(ctx, request)
    numbers = _numbers_body(await ctx.body(request, NUMBERS_DELETE), most=REMOVE_MAX)
    held = {d["id"]: d for d in ctx.store.select("numbers", {"id": numbers})}
    missing = [n for n in numbers if held.get(n, {}).get("locationId") != location["id"]]
    if missing:
        raise bad_request(*(f"Number {n} does not belong to this location." for n in missing))
    if location.get("_main") in numbers:
        raise bad_request("A location's main number cannot be removed.")
    owned = ctx.store.ids("people", {"org_id": org_id, "phone": numbers})
    if owned:
        raise ApiError(
            ctx.cfg.assigned_number_remove_status,
            "A number assigned to a user cannot be removed.",
            code=10030003,
        )
    for number in numbers:
        ctx.store.delete("numbers", number)
    return empty(204)
