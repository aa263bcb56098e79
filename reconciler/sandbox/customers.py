"""``/v1/wholesale/customers``: list, provision (202), get, update (202), remove (202), precheck."""

from __future__ import annotations

import random
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import rules, shapes
from reconciler.sandbox.errors import ApiError, bad_request, email_taken, not_found
from reconciler.sandbox.ids import decode, encode
from reconciler.sandbox.lifecycle import customer_cols, package_details
from reconciler.sandbox.objects import public
from reconciler.sandbox.store import Doc
from reconciler.sandbox.web import (
    Ctx,
    empty,
    int_param,
    json_response,
    page_size,
    retry_after,
)

STATUSES = (
    "provisioned",
    "provisioned_with_errors",
    "provisioning",
    "updating",
    "deleting",
    "error",
    "pending_rpl_review",
)
BUSY = ("provisioning", "updating", "deleting")
PRECHECK_OK = {"infoCode": 100, "description": "Provisioning preCheck validation successful."}


def render(doc: Doc) -> Doc:
    out = public(doc)
    if not out.get("orgId"):
        out.pop("orgId", None)
    return out


def load(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    row = ctx.store.row("customers", customer_id)
    if row is None:
        raise not_found("Customer")
    return row


async def list_customers(ctx: Ctx, request: Request) -> Response:
    query = request.query_params
    where: dict[str, Any] = {}
    if query.get("externalId"):
        where["external_id"] = query["externalId"]
    if query.get("orgId"):
        where["org_id"] = query["orgId"]
    statuses = [s for raw in query.getlist("status") for s in raw.split(",") if s]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise bad_request(*(f"Unknown status '{s}'." for s in unknown))
    if statuses:
        where["status"] = statuses
    size = page_size(request, ctx.cfg.customers_page)
    offset = int_param(request, "offset", 0)
    docs = ctx.store.select("customers", where, limit=size, offset=offset)
    return json_response({"items": [render(d) for d in docs]})


def _refuse_taken_external_id(ctx: Ctx, external_id: str) -> None:
    if ctx.store.ids("customers", {"external_id": external_id}):
        raise ApiError(
            ctx.cfg.duplicate_external_id_status,
            f"A customer with externalId '{external_id}' already exists.",
        )


def _business_checks(ctx: Ctx, body: dict[str, Any]) -> None:
    """The checks that need the store: template, externalId, admin email."""
    cfg = ctx.cfg
    provisioning_id = body.get("provisioningId")
    if isinstance(provisioning_id, str) and not ctx.store.has_provisioning_id(provisioning_id):
        raise ApiError(
            cfg.unknown_provisioning_id_status, f"Unknown provisioningId '{provisioning_id}'."
        )
    external_id = body.get("externalId")
    if isinstance(external_id, str):
        _refuse_taken_external_id(ctx, external_id)
    org_id = body.get("orgId")
    if isinstance(org_id, str) and org_id:
        if ctx.store.ids("customers", {"org_id": org_id}):
            raise ApiError(409, "The organization is already a wholesale customer.")
        raise ApiError(400, f"Organization '{org_id}' not found.")
    info = body.get("customerInfo") or {}
    email = info.get("primaryEmail")
    if isinstance(email, str) and ctx.store.ids("people", {"email_lc": email.lower()}):
        raise email_taken(cfg.email_taken_status)


def _outcome(ctx: Ctx, external_id: str, packages: list[str]) -> dict[str, Any]:
    """The seeded fate of one provisioning: reproducible per (seed, externalId)."""
    cfg = ctx.cfg
    draw = random.Random(f"{cfg.seed}/provision/{external_id}").random()  # noqa: S311
    if draw < cfg.provision_error_rate:
        return {"outcome": "error"}
    if draw < cfg.provision_error_rate + cfg.provision_partial_rate:
        calling = [p for p in packages if p in cfg.calling_customer_packages]
        return {"outcome": "provisioned_with_errors", "failing_package": (calling or packages)[0]}
    return {"outcome": "provisioned"}


def _accepted(ctx: Ctx, request: Request, customer_id: str) -> Response:
    url = f"{ctx.base(request)}/wholesale/customers/{customer_id}"
    return json_response({"url": url}, 202, {"Location": url})


async def provision(ctx: Ctx, request: Request) -> Response:
    body = await ctx.body(request, shapes.CUSTOMER_POST)
    problems, packages, location = rules.customer_body(body, ctx.cfg, mode="post")
    if problems:
        raise bad_request(*problems)
    _business_checks(ctx, body)
    assert packages is not None
    now = ctx.now()
    customer_id = ctx.store.mint("ENTERPRISE")
    doc: Doc = {
        "id": customer_id,
        "externalId": body["externalId"],
        "address": body["address"],
        "status": "provisioning",
        "packages": packages,
        "resourceDetails": package_details(packages, "provisioning"),
        "errors": [],
    }
    info = body.get("customerInfo") or {}
    priv = {
        **_outcome(ctx, body["externalId"], packages),
        "provisioningId": body["provisioningId"],
        "name": info.get("name"),
        "primaryEmail": info.get("primaryEmail"),
        "language": info.get("language"),
        "calling_location": location,
        "meetings": (body.get("provisioningParameters") or {}).get("meetings"),
    }
    due = now + ctx.cfg.provision_seconds
    ctx.store.insert("customers", doc, **customer_cols(doc, priv, due))
    return _accepted(ctx, request, customer_id)


async def get_customer(ctx: Ctx, request: Request) -> Response:
    row = load(ctx, request.path_params["customerId"])
    doc = render(row["doc"])
    if ctx.flag(request, "includePackageLicenseInfo") and doc.get("orgId"):
        org_uuid = (decode(doc["orgId"]) or ("", ""))[1]
        for item in doc.get("resourceDetails", {}).get("packages", []):
            if item["status"] == "provisioned":
                item["licenseIds"] = [encode("LICENSE", f"{org_uuid}:{item['name']}")]
    return json_response(doc)


def _not_busy(ctx: Ctx, row: dict[str, Any]) -> None:
    doc = row["doc"]
    if doc["status"] in BUSY:
        wait = (row["due"] or ctx.now()) - ctx.now()
        raise ApiError(
            ctx.cfg.customer_busy_status,
            f"The customer is {doc['status']}; try again later.",
            headers=retry_after(wait),
        )


async def update(ctx: Ctx, request: Request) -> Response:
    row = load(ctx, request.path_params["customerId"])
    body = await ctx.body(request, shapes.CUSTOMER_PUT)
    problems, packages, location = rules.customer_body(body, ctx.cfg, mode="put")
    doc, priv = row["doc"], row["priv"]
    if packages is not None and not problems:
        calling = set(packages) & ctx.cfg.calling_customer_packages
        if calling and location is None and not priv.get("headquarters"):
            problems.append(
                "provisioningParameters.calling is mandatory when adding calling packages."
            )
    if problems:
        raise bad_request(*problems)
    _not_busy(ctx, row)
    assert packages is not None
    external_id = body.get("externalId")
    if isinstance(external_id, str) and external_id != doc["externalId"]:
        _refuse_taken_external_id(ctx, external_id)
        doc["externalId"] = external_id
    if "address" in body:
        doc["address"] = body["address"]
    if location is not None and not priv.get("headquarters"):
        priv["calling_location"] = location
    doc["packages"] = packages
    doc["resourceDetails"] = package_details(packages, "provisioning")
    if doc["status"] == "error":
        doc["status"] = "provisioning"
        priv["outcome"] = "provisioned"
    else:
        doc["status"] = "updating"
    ctx.store.update(
        "customers", doc, **customer_cols(doc, priv, ctx.now() + ctx.cfg.provision_seconds)
    )
    return _accepted(ctx, request, doc["id"])


async def remove(ctx: Ctx, request: Request) -> Response:
    row = load(ctx, request.path_params["customerId"])
    _not_busy(ctx, row)
    doc, priv = row["doc"], row["priv"]
    doc["status"] = "deleting"
    doc["resourceDetails"] = package_details(doc["packages"], "deleting")
    ctx.store.update(
        "customers", doc, **customer_cols(doc, priv, ctx.now() + ctx.cfg.provision_seconds)
    )
    return empty(202)


def precheck_ok(ctx: Ctx) -> Response:
    info: Any = [PRECHECK_OK] if ctx.cfg.precheck_info_as_list else PRECHECK_OK
    return json_response({"message": "success", "info": info})


async def precheck(ctx: Ctx, request: Request) -> Response:
    body = await ctx.body(request, shapes.CUSTOMER_PRECHECK)
    problems, _, _ = rules.customer_body(body, ctx.cfg, mode="precheck")
    if problems:
        raise bad_request(*problems)
    _business_checks(ctx, body)
    return precheck_ok(ctx)
