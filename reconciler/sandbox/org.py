"""Org-side APIs: ``/v1/organizations``, ``/v1/locations``, ``/v1/people``, ``/v1/roles``,
``/v1/access_token``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import rules, shapes
from reconciler.sandbox.calling import (
    admit_line,
    headquarters_id,
    is_calling_user,
    settle_line,
    work_number,
)
from reconciler.sandbox.errors import ApiError, bad_request, email_taken, not_found
from reconciler.sandbox.objects import (
    PARTNER_ORG,
    PARTNER_ORG_CREATED,
    PARTNER_ORG_NAME,
    ROLE_IDS,
    ROLES,
    iso,
    location_cols,
    new_location,
    person_cols,
    public,
)
from reconciler.sandbox.store import Doc
from reconciler.sandbox.web import (
    Ctx,
    empty,
    int_param,
    json_response,
    next_link,
    page_size,
)


def org_of(ctx: Ctx, request: Request) -> str:
    """The ``orgId`` acted on: the partner's own org, or a managed customer org (else 403)."""
    org_id = request.query_params.get("orgId") or PARTNER_ORG
    if org_id != PARTNER_ORG and not ctx.store.ids("customers", {"org_id": org_id}):
        raise ApiError(403, "The organization is not managed by the caller.")
    return org_id


def _page(
    ctx: Ctx, request: Request, docs: list[Doc], total: int, start: int, size: int
) -> Response:
    headers = next_link(ctx, request, start + size, size) if start + size < total else None
    return json_response({"items": docs}, 200, headers)


# organizations --------------------------------------------------------------------------
def _organizations(ctx: Ctx) -> list[Doc]:
    """The caller's own org first, then every managed org (a customer with an ``orgId``).

    An org's ``displayName`` is the ``customerInfo.name`` given at provisioning (its
    ``externalId`` when none was given, e.g. a seeded customer without a name); ``created`` is
    when provisioning made it (left out for an org older than that record).
    """
    orgs: list[Doc] = [
        {"id": PARTNER_ORG, "displayName": PARTNER_ORG_NAME, "created": PARTNER_ORG_CREATED}
    ]
    for row in ctx.store.rows("customers"):
        if not row["org_id"]:
            continue
        priv = row["priv"]
        org: Doc = {
            "id": row["org_id"],
            "displayName": priv.get("name") or row["doc"]["externalId"],
        }
        if priv.get("orgCreated"):
            org["created"] = priv["orgCreated"]
        orgs.append(org)
    return orgs


async def list_organizations(ctx: Ctx, request: Request) -> Response:
    """``GET /organizations``: every org visible to the caller, in one answer (the spec says
    the results are not paginated, and documents no parameters)."""
    return json_response({"items": _organizations(ctx)})


async def get_organization(ctx: Ctx, request: Request) -> Response:
    wanted = request.path_params["orgId"]
    for org in _organizations(ctx):
        if org["id"] == wanted:
            return json_response(org)
    raise not_found("Organization")


# locations ------------------------------------------------------------------------------
def render_location(ctx: Ctx, doc: Doc) -> Doc:
    out = public(doc)
    if not ctx.cfg.location_shows_announcement_language:
        out.pop("announcementLanguage", None)
    return out


async def list_locations(ctx: Ctx, request: Request) -> Response:
    org_id = org_of(ctx, request)
    size = page_size(request, ctx.cfg.locations_page)
    start = int_param(request, "start", 0)
    docs = ctx.store.select("locations", {"org_id": org_id})
    name = (request.query_params.get("name") or "").lower()
    ids = {i for i in (request.query_params.get("id") or "").split(",") if i}
    docs = [
        d for d in docs if (not name or name in d["name"].lower()) and (not ids or d["id"] in ids)
    ]
    page = [render_location(ctx, d) for d in docs[start : start + size]]
    return _page(ctx, request, page, len(docs), start, size)


def _duplicate_name(ctx: Ctx, org_id: str, name: str, own_id: str = "") -> None:
    status = ctx.cfg.duplicate_location_name_status
    if status is None:
        return
    taken = [
        i
        for i in ctx.store.ids("locations", {"org_id": org_id, "name_lc": name.lower()})
        if i != own_id
    ]
    if taken:
        raise ApiError(status, f"A location named '{name}' already exists.")


def _optional_address(ctx: Ctx, body: dict[str, Any]) -> frozenset[str]:
    """The address fields a new location may leave out: those its country's configuration does
    not require (``location_address_by_country``); a country the table does not know, or the
    switch off, requires both, as the /locations request schema lists them."""
    address = body.get("address")
    country = address.get("country") if isinstance(address, dict) else None
    known = ctx.cfg.countries.get(country.upper()) if isinstance(country, str) else None
    if not ctx.cfg.location_address_by_country or known is None:
        return frozenset()
    return frozenset(
        key
        for key, needed in (("state", known.state_required), ("postalCode", known.zip_required))
        if not needed
    )


async def create_location(ctx: Ctx, request: Request) -> Response:
    org_id = org_of(ctx, request)
    body = await ctx.body(request, shapes.LOCATION_POST)
    problems = rules.location_body(body, create=True, optional=_optional_address(ctx, body))
    if problems:
        raise bad_request(*problems)
    _duplicate_name(ctx, org_id, body["name"])
    fields: dict[str, Any] = {
        k: body[k]
        for k in (
            "name",
            "timeZone",
            "preferredLanguage",
            "announcementLanguage",
            "address",
            "latitude",
            "longitude",
            "notes",
        )
        if k in body
    }
    doc = new_location(ctx.store, org_id=org_id, fields=fields, calling=False)
    return json_response({"id": doc["id"]}, 201)


def _location(ctx: Ctx, request: Request) -> Doc:
    org_id = org_of(ctx, request)
    doc = ctx.store.get("locations", request.path_params["locationId"])
    if doc is None or doc["orgId"] != org_id:
        raise not_found("Location")
    return doc


async def get_location(ctx: Ctx, request: Request) -> Response:
    return json_response(render_location(ctx, _location(ctx, request)))


async def update_location(ctx: Ctx, request: Request) -> Response:
    doc = _location(ctx, request)
    body = await ctx.body(request, shapes.LOCATION_PUT)
    problems = rules.location_body(body, create=False)
    if problems:
        raise bad_request(*problems)
    if "name" in body:
        _duplicate_name(ctx, doc["orgId"], body["name"], doc["id"])
    for key in ("name", "timeZone", "preferredLanguage"):
        if key in body:
            doc[key] = body[key]
    if "address" in body:
        doc["address"] = {**doc.get("address", {}), **body["address"]}
    ctx.store.update("locations", doc, **location_cols(doc))
    return empty(204)


async def delete_location(ctx: Ctx, request: Request) -> Response:
    doc = _location(ctx, request)
    if headquarters_id(ctx.store, doc["orgId"]) == doc["id"]:
        raise ApiError(
            ctx.cfg.headquarters_delete_status,
            "The headquarters location of an organization cannot be deleted.",
        )
    if doc.get("_calling"):
        raise ApiError(
            ctx.cfg.calling_location_delete_status,
            "Disabling Webex Calling for a Webex Calling enabled location is required "
            "prior to deleting a location.",
        )
    ctx.store.delete("locations", doc["id"])
    ctx.store.delete_where("numbers", {"location_id": doc["id"]})
    return empty(204)


# people ---------------------------------------------------------------------------------
async def list_people(ctx: Ctx, request: Request) -> Response:
    query = request.query_params
    flags = ctx.flags(request, "callingData", "excludeStatus")
    org_id = org_of(ctx, request)
    limits = ctx.cfg.people_page
    if query.get("locationId"):
        limits = (min(limits[0], 50), 50)
    elif flags["callingData"]:
        limits = (limits[0], min(limits[1], 100))
    size = page_size(request, limits)
    start = int_param(request, "start", 0)
    where: dict[str, Any] = {"org_id": org_id}
    if query.get("email"):
        where["email_lc"] = query["email"].lower()
    if query.get("locationId"):
        where["location_id"] = query["locationId"]
    wanted = [i for i in (query.get("id") or "").split(",") if i]
    if len(wanted) > 85:
        raise bad_request("At most 85 IDs may be given in id.")
    roles = {r for r in (query.get("roles") or "").split(",") if r}
    display = query.get("displayName") or ""
    body: dict[str, Any]
    if not wanted and not roles and not display:
        total = ctx.store.count("people", where)
        docs = ctx.store.select("people", where, limit=size, offset=start)
        body = {"items": docs}
    else:
        if wanted:
            where["id"] = wanted
        matches = [
            d
            for d in ctx.store.select("people", where)
            if (not roles or roles & set(d.get("roles", [])))
            and d.get("displayName", "").lower().startswith(display.lower())
        ]
        total = len(matches)
        body = {"items": matches[start : start + size]}
        if wanted:
            found = {d["id"] for d in matches}
            body["notFoundIds"] = [i for i in wanted if i not in found]
    headers = next_link(ctx, request, start + size, size) if start + size < total else None
    return json_response(body, 200, headers)


def _person(ctx: Ctx, request: Request) -> Doc:
    doc = ctx.store.get("people", request.path_params["personId"])
    if doc is None:
        raise not_found("Person")
    return doc


async def get_person(ctx: Ctx, request: Request) -> Response:
    ctx.flag(request, "callingData")
    return json_response(_person(ctx, request))


#: the fields a PUT replaces; those absent from the body are cleared (full replacement)
REPLACED = (
    "phoneNumbers",
    "extension",
    "locationId",
    "firstName",
    "lastName",
    "nickName",
    "avatar",
    "roles",
    "licenses",
    "department",
    "manager",
    "managerId",
    "title",
    "addresses",
    "siteUrls",
)
EMPTY_LISTS = ("phoneNumbers", "roles", "licenses")


async def update_person(ctx: Ctx, request: Request) -> Response:
    doc = _person(ctx, request)
    flags = ctx.flags(request, "callingData", "showAllTypes", "minResponse")
    body = await ctx.body(request, shapes.PERSON_PUT)
    problems = rules.person_body(body)
    roles = body.get("roles")
    # a ``roles`` that is no list of strings is refused by person_body; only strings are
    # looked up (a float or a nested list is not iterable or not hashable)
    listed = roles if isinstance(roles, list) else []
    unknown_roles = [r for r in listed if isinstance(r, str) and r not in ROLE_IDS]
    problems += [f"Unknown role '{r}'." for r in unknown_roles]
    location_id = body.get("locationId")
    if isinstance(location_id, str) and location_id:
        location = ctx.store.get("locations", location_id)
        if location is None or location["orgId"] != doc["orgId"]:
            problems.append("Unable to find location.")
    if problems:
        raise bad_request(*problems)
    was_location, was_number = doc.get("locationId"), work_number(doc)
    if (
        is_calling_user(doc)
        and isinstance(location_id, str)
        and location_id
        and location_id != was_location
        and not ctx.cfg.implicit_calling_locations
    ):
        raise ApiError(
            ctx.cfg.people_location_change_status,
            "The location of a Webex Calling user is changed with the move users job "
            "(POST /telephony/config/jobs/person/moveLocation).",
        )
    if (
        not is_calling_user(doc)
        and isinstance(location_id, str)
        and location_id
        and location_id != was_location
    ):
        raise ApiError(
            ctx.cfg.people_location_without_calling_status,
            "The locationId can only be set when assigning a calling license to a user.",
        )
    _extension_free(ctx, doc, body)
    emails = body.get("emails")
    if emails:
        new = str(emails[0]).lower()
        if new != doc["emails"][0].lower() and ctx.store.ids("people", {"email_lc": new}):
            raise email_taken(ctx.cfg.email_taken_status)
        doc["emails"] = [emails[0]]
    for key in REPLACED:
        if key in body and body[key] not in (None, ""):
            value = body[key]
            if key == "phoneNumbers":
                value = [
                    {
                        "type": p.get("type", "work"),
                        "value": p["value"],
                        "primary": bool(p.get("primary", i == 0)),
                    }
                    for i, p in enumerate(value)
                ]
            doc[key] = value
        elif key in EMPTY_LISTS:
            doc[key] = []
        else:
            doc.pop(key, None)
    doc["displayName"] = body["displayName"]
    if isinstance(body.get("loginEnabled"), bool):
        doc["loginEnabled"] = "true" if body["loginEnabled"] else "false"
    doc["lastModified"] = iso(ctx.now())
    moved = doc.get("locationId") != was_location
    if is_calling_user(doc) and (moved or work_number(doc) != was_number):
        location = ctx.store.get("locations", doc["locationId"])
        if location is not None:
            admit_line(ctx, doc["orgId"], location, work_number(doc), moving=moved)
            settle_line(ctx, location["id"], work_number(doc))
    ctx.store.update("people", doc, **person_cols(doc))
    if flags["minResponse"]:
        return empty(204)
    return json_response(doc)


def _extension_free(ctx: Ctx, doc: Doc, body: dict[str, Any]) -> None:
    """An extension is one person's at a location (as the subscriber calls refuse it)."""
    extension, location_id = body.get("extension") or "", body.get("locationId") or ""
    if not extension or not location_id:
        return
    if (extension, location_id) == (doc.get("extension"), doc.get("locationId")):
        return
    where = {"org_id": doc["orgId"], "extension": extension, "location_id": location_id}
    if [i for i in ctx.store.ids("people", where) if i != doc["id"]]:
        raise ApiError(409, f"The extension {extension} is already in use at this location.")


async def delete_person(ctx: Ctx, request: Request) -> Response:
    doc = _person(ctx, request)
    ctx.store.delete_where("subscribers", {"person_id": doc["id"]})
    ctx.store.delete("people", doc["id"])
    return empty(204)


# roles and tokens -----------------------------------------------------------------------
async def list_roles(ctx: Ctx, request: Request) -> Response:
    return json_response({"items": ROLES})


async def get_role(ctx: Ctx, request: Request) -> Response:
    for role in ROLES:
        if role["id"] == request.path_params["roleId"]:
            return json_response(role)
    raise not_found("Role")


async def access_token(ctx: Ctx, request: Request) -> Response:
    """OAuth refresh-token grant (form-encoded, as Webex takes it)."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if fields.get("grant_type") != "refresh_token":
        raise bad_request("grant_type must be refresh_token.")
    if (fields.get("client_id"), fields.get("client_secret")) != (
        ctx.cfg.client_id,
        ctx.cfg.client_secret,
    ):
        raise ApiError(401, "Invalid client credentials.")
    refresh = fields.get("refresh_token", "")
    token = ctx.cfg.access_tokens().get(refresh)
    if token is None:
        raise bad_request("Invalid refresh token.")
    scopes = " ".join(sorted(ctx.scopes_of(token)))
    return json_response(
        {
            "access_token": token,
            "expires_in": 1209600,
            "refresh_token": refresh,
            "refresh_token_expires_in": 7776000,
            "token_type": "Bearer",
            "scope": scopes,
        }
    )
