"""``/v1/identity/organizations/{orgUuid}``: rename a managed customer organization.

Webex's identity API (SCIM-style) addresses an organization by its UUID, the decoded tail of
the base64 ``orgId`` (``ciscospark://us/ORGANIZATION/<uuid>``), not by the ID itself. ``PATCH``
takes ``{"schemas": ["urn:cisco:codev:identity:organization:core:1.0"], "displayName": …}``
(both required, ``preferredLanguage`` optional) under the scope ``identity:organizations_rw``
and answers 200 with the organization in the same shape (``schemas``, ``id`` = the UUID,
``displayName``, ``meta``). Cisco's partner reference app renames wholesale customer orgs this
way with a partner token; the new name is what ``GET /organizations`` shows from then on.

The sandbox renames the orgs the partner manages (a provisioned customer's); the partner's own
org, or any other UUID, is not one (403 / 404).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.errors import ApiError, bad_request, not_found
from reconciler.sandbox.ids import decode
from reconciler.sandbox.lifecycle import customer_cols
from reconciler.sandbox.objects import PARTNER_ORG, iso
from reconciler.sandbox.shapes import ORGANIZATION_PATCH
from reconciler.sandbox.store import Doc
from reconciler.sandbox.web import Ctx, json_response

CORE_SCHEMA = "urn:cisco:codev:identity:organization:core:1.0"


def org_uuid(org_id: str) -> str | None:
    """The UUID of a base64 organization ID, or None when it is not one."""
    decoded = decode(org_id)
    return decoded[1] if decoded and decoded[0] == "ORGANIZATION" else None


def _customer_row(ctx: Ctx, uuid: str) -> dict[str, Any]:
    if uuid == org_uuid(PARTNER_ORG):
        raise ApiError(403, "The organization is not managed by the caller.")
    for row in ctx.store.rows("customers"):
        if row["org_id"] and org_uuid(row["org_id"]) == uuid:
            return row
    raise not_found("Organization")


def _body_problems(body: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or CORE_SCHEMA not in schemas:
        problems.append(f"Input JSON must contain schema: {CORE_SCHEMA}.")
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        problems.append("displayName is required and must be a non-empty string.")
    language = body.get("preferredLanguage")
    if language is not None and not isinstance(language, str):
        problems.append("preferredLanguage must be a string.")
    return problems


def scim_organization(uuid: str, row: dict[str, Any]) -> Doc:
    """The identity API's view of a managed org (``meta`` as the spec requires it)."""
    priv = row["priv"]
    out: Doc = {
        "schemas": [CORE_SCHEMA],
        "id": uuid,
        "displayName": priv.get("name") or row["doc"]["externalId"],
    }
    if priv.get("orgPreferredLanguage"):
        out["preferredLanguage"] = priv["orgPreferredLanguage"]
    modified = priv.get("orgLastModified") or priv.get("orgCreated") or ""
    out["meta"] = {
        "created": priv.get("orgCreated") or modified,
        "lastModified": modified,
        "version": f'W/"{priv.get("orgVersion", 1)}"',
    }
    return out


async def update_organization(ctx: Ctx, request: Request) -> Response:
    """``PATCH``: set ``displayName`` (and ``preferredLanguage`` when given)."""
    uuid = request.path_params["orgUuid"]
    row = _customer_row(ctx, uuid)
    body = await ctx.body(request, ORGANIZATION_PATCH)
    problems = _body_problems(body)
    if problems:
        raise bad_request(*problems)
    doc, priv = row["doc"], row["priv"]
    priv["name"] = body["displayName"]
    if isinstance(body.get("preferredLanguage"), str):
        priv["orgPreferredLanguage"] = body["preferredLanguage"]
    priv["orgVersion"] = int(priv.get("orgVersion", 1)) + 1
    priv["orgLastModified"] = iso(ctx.now())
    ctx.store.update("customers", doc, **customer_cols(doc, priv, row["due"]))
    return json_response(scim_organization(uuid, row))
