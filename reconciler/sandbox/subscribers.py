"""``/v1/wholesale/subscribers``: list, provision (200 / 202), get, update, remove, precheck."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import rules, shapes
from reconciler.sandbox.calling import admit_line, settle_line
from reconciler.sandbox.customers import precheck_ok
from reconciler.sandbox.errors import ApiError, bad_request, email_taken, not_found
from reconciler.sandbox.objects import iso, new_person, person_cols
from reconciler.sandbox.store import Doc
from reconciler.sandbox.web import Ctx, empty, int_param, json_response, page_size

READY = ("provisioned", "provisioned_with_errors", "updating")


def sub_cols(doc: Doc) -> dict[str, Any]:
    return {
        "customer_id": doc["customerId"],
        "email_lc": doc["email"].lower(),
        "person_id": doc.get("personId"),
        "status": doc["status"],
        "external_customer_id": doc["externalCustomerId"],
        "created": doc["created"],
        "last_change": doc["lastStatusChange"],
    }


def _set_package(doc: Doc, package: str) -> None:
    doc["packages"] = [package]
    if package in rules.SUBSCRIBER_PACKAGE_SINGLE:
        doc["package"] = package
    else:
        doc.pop("package", None)


def _timestamp(raw: str, name: str) -> str:
    """A filter time (epoch ms, or ISO 8601) as the ISO text stored in the rows."""
    try:
        if raw.isdigit():
            moment = dt.datetime.fromtimestamp(int(raw) / 1000, tz=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise ApiError(
            400, f"Query parameter {name} must be epoch milliseconds or ISO 8601."
        ) from None
    return iso(moment.timestamp())


async def list_subscribers(ctx: Ctx, request: Request) -> Response:
    query = request.query_params
    where: dict[str, Any] = {}
    for param, col in (
        ("customerId", "customer_id"),
        ("personId", "person_id"),
        ("externalCustomerId", "external_customer_id"),
        ("status", "status"),
    ):
        if query.get(param):
            where[col] = query[param]
    if query.get("email"):
        where["email_lc"] = query["email"].lower()
    if where.get("status") and where["status"] not in ("provisioned", "pending_user_migration"):
        raise bad_request(f"Unknown status '{where['status']}'.")
    clauses: list[str] = []
    params: list[Any] = []
    for param, col in (("after", "created"), ("lastStatusChange", "last_change")):
        if query.get(param):
            clauses.append(f"{col} > ?")
            params.append(_timestamp(query[param], param))
    sort_by = query.get("sortBy") or "created"
    order = query.get("sortOrder") or "ASC"
    if sort_by not in ("created", "lastStatusChange") or order.upper() not in ("ASC", "DESC"):
        raise bad_request("sortBy must be created or lastStatusChange; sortOrder ASC or DESC.")
    column = "created" if sort_by == "created" else "last_change"
    size = page_size(request, ctx.cfg.subscribers_page)
    offset = int_param(request, "offset", 0)
    docs = ctx.store.select(
        "subscribers",
        where,
        order=f"{column} {order.upper()}, rowid {order.upper()}",
        limit=size,
        offset=offset,
        extra=(" AND ".join(clauses), params) if clauses else None,
    )
    return json_response({"items": docs})


def _customer_for(ctx: Ctx, customer_id: str) -> Doc:
    customer = ctx.store.get("customers", customer_id)
    if customer is None:
        raise not_found("Customer")
    if customer["status"] not in READY or not customer.get("orgId"):
        raise ApiError(
            ctx.cfg.customer_not_ready_status,
            f"The customer is {customer['status']}: its organization is not ready.",
        )
    return customer


def _check_package(ctx: Ctx, customer: Doc, package: str) -> None:
    held = customer.get("packages", [])
    if package == "attendant_console" and not set(held) & set(
        rules.DEPENDENCIES["attendant_console"]
    ):
        raise bad_request(
            "attendant_console is dependent on: "
            + ", ".join(rules.DEPENDENCIES["attendant_console"])
            + "."
        )
    if ctx.cfg.subscriber_package_must_be_on_customer and package not in held:
        raise bad_request(f"Package {package} is not provisioned for this customer.")


def _check_calling(
    ctx: Ctx, org_id: str, package: str, params: dict[str, Any], person: Doc | None
) -> str:
    """Phone/extension/location rules of a calling package; returns the location ID to use."""
    if package not in ctx.cfg.calling_subscriber_packages:
        return ""
    entitled = person is not None and bool(person.get("extension") or person.get("phoneNumbers"))
    if entitled:
        return ""
    phone, ext = params.get("primaryPhoneNumber"), params.get("extension")
    if not phone and not ext:
        raise bad_request(
            "A primary phone number, extension, or both must be supplied when "
            "assigning a calling-enabled package."
        )
    location_id = params.get("locationId") or ""
    if location_id:
        location = ctx.store.get("locations", location_id)
        if location is None or location["orgId"] != org_id:
            raise bad_request("Unable to find location.", code=400)
    else:
        hq = ctx.store.select("locations", {"org_id": org_id}, limit=1)
        if not hq:
            raise bad_request("A locationId is required: the organization has no location.")
        location = hq[0]
        location_id = location["id"]
    if phone and ctx.store.ids("people", {"phone": phone}):
        raise ApiError(409, f"The phone number {phone} is already in use.")
    admit_line(ctx, org_id, location, phone or "")
    if ext:
        taken = ctx.store.ids(
            "people", {"org_id": org_id, "extension": ext, "location_id": location_id}
        )
        if taken:
            raise ApiError(409, f"The extension {ext} is already in use at this location.")
    return location_id


async def provision(ctx: Ctx, request: Request) -> Response:
    body = await ctx.body(request, shapes.SUBSCRIBER_POST)
    problems, package, params = rules.subscriber_body(body, mode="post")
    if problems:
        raise bad_request(*problems)
    assert package is not None
    customer = _customer_for(ctx, body["customerId"])
    org_id: str = customer["orgId"]
    email: str = body["email"]
    _check_package(ctx, customer, package)
    if ctx.store.ids("subscribers", {"email_lc": email.lower()}):
        raise email_taken(ctx.cfg.email_taken_status)
    people = ctx.store.select("people", {"email_lc": email.lower()})
    person = people[0] if people else None
    if person is not None and person["orgId"] != org_id:
        raise email_taken(ctx.cfg.email_taken_status)
    stamp = iso(ctx.now())
    doc: Doc = {
        "id": ctx.store.mint("SUBSCRIBER"),
        "email": email,
        "customerId": customer["id"],
        "externalCustomerId": customer["externalId"],
        "status": "provisioned",
        "errors": [],
        "created": stamp,
        "lastStatusChange": stamp,
    }
    _set_package(doc, package)
    status = 200
    if person is None and ctx.store.is_free_account(email):
        doc["status"] = "pending_user_migration"
        status = 202
    else:
        location_id = _check_calling(ctx, org_id, package, params, person)
        if person is None:
            person = new_person(
                ctx.store,
                ctx.now(),
                org_id=org_id,
                email=email,
                first=params.get("firstName") or "",
                last=params.get("lastName") or "",
                phone=params.get("primaryPhoneNumber") or "",
                extension=params.get("extension") or "",
                location_id=location_id,
            )
        elif location_id:
            _apply_calling(ctx, person, params, location_id)
        doc["personId"] = person["id"]
        if location_id:
            settle_line(ctx, location_id, params.get("primaryPhoneNumber") or "")
    ctx.store.insert("subscribers", doc, **sub_cols(doc))
    url = f"{ctx.base(request)}/wholesale/subscribers/{doc['id']}"
    return json_response(doc, status, {"Location": url})


def _apply_calling(ctx: Ctx, person: Doc, params: dict[str, Any], location_id: str) -> None:
    if params.get("primaryPhoneNumber"):
        person["phoneNumbers"] = [
            {"type": "work", "value": params["primaryPhoneNumber"], "primary": True}
        ]
    if params.get("extension"):
        person["extension"] = params["extension"]
    person["locationId"] = location_id
    person["lastModified"] = iso(ctx.now())
    ctx.store.update("people", person, **person_cols(person))


def _load(ctx: Ctx, request: Request) -> Doc:
    doc = ctx.store.get("subscribers", request.path_params["subscriberId"])
    if doc is None:
        raise not_found("Subscriber")
    return doc


async def get_subscriber(ctx: Ctx, request: Request) -> Response:
    return json_response(_load(ctx, request))


async def update(ctx: Ctx, request: Request) -> Response:
    doc = _load(ctx, request)
    body = await ctx.body(request, shapes.SUBSCRIBER_PUT)
    problems, package, params = rules.subscriber_body(body, mode="put")
    if problems:
        raise bad_request(*problems)
    if package is None:
        raise bad_request("Either packages or package field is required.")
    customer = _customer_for(ctx, doc["customerId"])
    _check_package(ctx, customer, package)
    person = ctx.store.get("people", doc["personId"]) if doc.get("personId") else None
    leaves = package not in ctx.cfg.calling_subscriber_packages
    if person is not None and leaves and ctx.cfg.leaving_calling_releases_line:
        _release_calling(ctx, person)  # the calling licence goes, and the line with it
    elif person is not None:
        location_id = _check_calling(ctx, customer["orgId"], package, params, person)
        if location_id:
            _apply_calling(ctx, person, params, location_id)
            settle_line(ctx, location_id, params.get("primaryPhoneNumber") or "")
    if doc["packages"] != [package]:
        doc["lastStatusChange"] = iso(ctx.now())
    _set_package(doc, package)
    ctx.store.update("subscribers", doc, **sub_cols(doc))
    url = f"{ctx.base(request)}/wholesale/subscribers/{doc['id']}"
    return json_response(doc, 200, {"Location": url})


async def remove(ctx: Ctx, request: Request) -> Response:
    doc = _load(ctx, request)
    ctx.store.delete("subscribers", doc["id"])
    person = ctx.store.get("people", doc["personId"]) if doc.get("personId") else None
    if person is not None and ctx.cfg.subscriber_remove_releases_calling:
        _release_calling(ctx, person)
    return empty(204)


def _release_calling(ctx: Ctx, person: Doc) -> None:
    """The person stays in the org; without its licences it holds no number or extension."""
    numbers = [p for p in person.get("phoneNumbers", []) if p.get("type") != "work"]
    if numbers == person.get("phoneNumbers", []) and "extension" not in person:
        return
    person["phoneNumbers"] = numbers
    person.pop("extension", None)
    person["lastModified"] = iso(ctx.now())
    ctx.store.update("people", person, **person_cols(person))


async def precheck(ctx: Ctx, request: Request) -> Response:
    body = await ctx.body(request, shapes.SUBSCRIBER_PRECHECK)
    problems, package, params = rules.subscriber_body(body, mode="precheck")
    if problems:
        raise bad_request(*problems)
    email: str = body["email"]
    if ctx.store.ids("subscribers", {"email_lc": email.lower()}):
        raise email_taken(ctx.cfg.email_taken_status)
    customer_id = body.get("customerId")
    if isinstance(customer_id, str) and customer_id:
        customer = _customer_for(ctx, customer_id)
        people = ctx.store.select("people", {"email_lc": email.lower()})
        if people and people[0]["orgId"] != customer["orgId"]:
            raise email_taken(ctx.cfg.email_taken_status)
        if package is not None:
            _check_package(ctx, customer, package)
            _check_calling(ctx, customer["orgId"], package, params, people[0] if people else None)
    return precheck_ok(ctx)
