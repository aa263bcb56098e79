"""Admin API under ``/_sandbox/`` (no auth, not counted in the stats).

- ``POST /_sandbox/templates`` ``{"name", "provisioningId"}`` — create or rebind (idempotent).
- ``GET /_sandbox/templates`` — ``{"items": [{"name", "provisioningId"}]}``.
- ``GET /_sandbox/stats`` — ``{"total", "byRoute": {"GET /v1/…": n}, "byStatus": {"200": n}}``.
- ``POST /_sandbox/stats/reset`` — zero the stats.
- ``POST /_sandbox/seed`` — see :func:`seed`.
- ``GET /_sandbox/dump`` — every customer, subscriber, location, person, number and
  telephony job, as stored.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import rules
from reconciler.sandbox.calling import PSTN_TYPES, place_number
from reconciler.sandbox.errors import ApiError, bad_request
from reconciler.sandbox.lifecycle import MAINTENANCE, customer_cols, package_details
from reconciler.sandbox.objects import (
    FULL_ADMIN_ROLE,
    ROLES,
    iso,
    location_cols,
    new_location,
    person_cols,
    person_doc,
)
from reconciler.sandbox.store import Doc, Store
from reconciler.sandbox.subscribers import sub_cols
from reconciler.sandbox.web import Ctx, body_of, json_response

ROLE_BY_NAME = {r["name"]: r["id"] for r in ROLES}


class Stats:
    """Requests by route template and by status."""

    def __init__(self) -> None:
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()

    def count(self, route: str, status: int) -> None:
        self.by_route[route] += 1
        self.by_status[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": sum(self.by_status.values()),
            "byRoute": dict(sorted(self.by_route.items())),
            "byStatus": dict(sorted(self.by_status.items())),
        }

    def reset(self) -> None:
        self.by_route.clear()
        self.by_status.clear()


async def post_template(ctx: Ctx, request: Request) -> Response:
    body = await body_of(request)
    name, pid = body.get("name"), body.get("provisioningId")
    if not isinstance(name, str) or not name or not isinstance(pid, str) or not pid:
        raise bad_request("name and provisioningId are required strings.")
    created = ctx.store.put_template(name, pid)
    return json_response({"name": name, "provisioningId": pid}, 201 if created else 200)


async def get_templates(ctx: Ctx, request: Request) -> Response:
    return json_response({"items": ctx.store.templates()})


async def dump(ctx: Ctx, request: Request) -> Response:
    store = ctx.store
    customers = [{**row["doc"], "_private": row["priv"]} for row in store.rows("customers")]
    return json_response(
        {
            "templates": store.templates(),
            "customers": customers,
            "subscribers": store.select("subscribers"),
            "locations": store.select("locations"),
            "people": store.select("people"),
            "numbers": store.select("numbers", order="id"),
            "jobs": store.select("jobs"),
        }
    )


async def seed(ctx: Ctx, request: Request) -> Response:
    """Bulk-create an estate directly in the store, already provisioned. Body::

        {"templates": [{"name", "provisioningId"}],
         "freeAccounts": ["email", …],              # subscriber POST answers 202 for these
         "customers": [{
             "externalId", "name"?, "adminEmail"?, "packages": [...],
             "address": {addressLine1, city, country, …},
             "status"?: "provisioned" | "provisioned_with_errors" | "error" | "pending_rpl_review",
             "pstn"?: PSTN connection of its locations (default ``SandboxConfig.default_pstn``),
             "locations": [{"name", "timeZone"?, "preferredLanguage"?, "address"?{address1…},
                            "calling"?: bool, "pstn"?: "LOCAL_GATEWAY" | "NON_INTEGRATED_CCP"
                            | "INTEGRATED_CCP" | "CISCO_CALLING_PLAN",
                            "numbers"?: [E.164, …] (provider-supplied inventory),
                            "mainNumber"?: one of them}],
             "subscribers": [{"email", "package", "firstName"?, "lastName"?, "phoneNumber"?,
                              "extension"?, "location"? (a location name), "roles"? [names]}]}]}

    A subscriber's ``phoneNumber`` joins its location's inventory (unless another org's
    inventory holds it already). No validation beyond shape (the types of the keys that
    address and link objects, and a known ``pstn``): seeding is for tests and benchmarks,
    and may store what the API would refuse. Answers
    ``{"customers": {externalId: {"id", "orgId"}}, "counts": {...}}``.
    """
    body = await body_of(request)
    problems = _seed_shape(body)
    if problems:
        raise bad_request(*problems)
    store, now = ctx.store, ctx.now()
    for tpl in body.get("templates", []):
        store.put_template(tpl["name"], tpl["provisioningId"])
    store.add_free_accounts(body.get("freeAccounts", []))
    result: dict[str, Any] = {}
    counts: Counter[str] = Counter()
    people: list[tuple[Doc, dict[str, Any]]] = []
    subs: list[tuple[Doc, dict[str, Any]]] = []
    stamp = iso(now)
    try:
        for spec in body.get("customers", []):
            customer, priv, org_id = _seed_customer(ctx, spec, stamp)
            result[spec["externalId"]] = {"id": customer["id"], "orgId": org_id}
            counts["customers"] += 1
            locations: dict[str, str] = {}
            for loc in spec.get("locations", []):
                doc = new_location(
                    store,
                    org_id=org_id,
                    fields={
                        "name": loc["name"],
                        "address": loc.get("address") or _loc_address(spec["address"]),
                        "timeZone": loc.get("timeZone", "America/New_York"),
                        "preferredLanguage": loc.get("preferredLanguage", "en_us"),
                        "announcementLanguage": loc.get("preferredLanguage", "en_us"),
                    },
                    calling=bool(loc.get("calling", False)),
                )
                _seed_calling(store, doc, loc, spec)
                locations[loc["name"]] = doc["id"]
                counts["locations"] += 1
                if doc["_calling"] and not priv.get("headquarters"):
                    # As if provisioning had created it: a later PUT that re-sends
                    # provisioningParameters.calling must not create a second one.
                    priv["headquarters"] = doc["id"]
                    store.update("customers", customer, **customer_cols(customer, priv, None))
            if spec.get("adminEmail") and org_id:
                admin = person_doc(
                    store.mint("PEOPLE"),
                    stamp,
                    org_id=org_id,
                    email=spec["adminEmail"],
                    roles=[FULL_ADMIN_ROLE],
                )
                people.append((admin, person_cols(admin)))
            for sub in spec.get("subscribers", []):
                person = person_doc(
                    store.mint("PEOPLE"),
                    stamp,
                    org_id=org_id,
                    email=sub["email"],
                    first=sub.get("firstName", ""),
                    last=sub.get("lastName", ""),
                    phone=sub.get("phoneNumber", ""),
                    extension=sub.get("extension") or "",
                    location_id=locations[sub["location"]] if sub.get("location") else "",
                    roles=[ROLE_BY_NAME[r] for r in sub.get("roles", [])],
                )
                people.append((person, person_cols(person)))
                number = sub.get("phoneNumber")
                if number and person.get("locationId") and store.get("numbers", number) is None:
                    place_number(store, number, org_id, person["locationId"], "ACTIVE")
                doc = {
                    "id": store.mint("SUBSCRIBER"),
                    "personId": person["id"],
                    "email": sub["email"],
                    "customerId": customer["id"],
                    "externalCustomerId": spec["externalId"],
                    "packages": [sub["package"]],
                    "status": "provisioned",
                    "errors": [],
                    "created": stamp,
                    "lastStatusChange": stamp,
                }
                if sub["package"] in rules.SUBSCRIBER_PACKAGE_SINGLE:
                    doc["package"] = sub["package"]
                subs.append((doc, sub_cols(doc)))
                counts["subscribers"] += 1
        store.insert_many("people", people)
        store.insert_many("subscribers", subs)
        store.commit()
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        store.rollback()
        raise ApiError(400, f"Seed body is malformed: missing or wrong field {exc}.") from None
    counts["people"] = len(people)
    return json_response({"customers": result, "counts": dict(counts)})


def _seed_calling(store: Store, doc: Doc, loc: dict[str, Any], spec: dict[str, Any]) -> None:
    """A seeded location's PSTN connection, provider numbers and main number."""
    pstn = loc.get("pstn") or spec.get("pstn")
    if pstn is not None and pstn not in PSTN_TYPES:
        raise ValueError(f"pstn {pstn}")
    if pstn:
        doc["_pstn"] = pstn
    for number in loc.get("numbers", []):
        place_number(store, str(number), doc["orgId"], doc["id"], "ACTIVE")
    if loc.get("mainNumber"):
        doc["_main"] = loc["mainNumber"]
    if pstn or loc.get("mainNumber"):
        store.update("locations", doc, **location_cols(doc))


def _seed_shape(body: dict[str, Any]) -> list[str]:
    """The keys seeding indexes or links by, with the types it needs; the problems found."""
    problems: list[str] = []

    def listed(parent: dict[str, Any], key: str, where: str) -> list[Any]:
        value = parent.get(key, [])
        if not isinstance(value, list):
            problems.append(f"{where}{key} must be a list.")
            return []
        return value

    for i, tpl in enumerate(listed(body, "templates", "")):
        if not (isinstance(tpl, dict) and all(isinstance(tpl.get(k), str) for k in _TPL_KEYS)):
            problems.append(f"templates[{i}] needs name and provisioningId strings.")
    if not all(isinstance(e, str) for e in listed(body, "freeAccounts", "")):
        problems.append("freeAccounts must be a list of emails.")
    for i, spec in enumerate(listed(body, "customers", "")):
        where = f"customers[{i}]."
        if not isinstance(spec, dict) or not isinstance(spec.get("externalId"), str):
            problems.append(f"{where}externalId must be a string.")
            continue
        if not isinstance(spec.get("address"), dict):
            problems.append(f"{where}address must be an object.")
        for loc in listed(spec, "locations", where):
            if not isinstance(loc, dict) or not isinstance(loc.get("name"), str):
                problems.append(f"{where}locations: each needs a name string.")
        for sub in listed(spec, "subscribers", where):
            if not isinstance(sub, dict) or not all(
                isinstance(sub.get(k), str) for k in ("email", "package")
            ):
                problems.append(f"{where}subscribers: each needs email and package strings.")
    return problems


_TPL_KEYS = ("name", "provisioningId")


def _loc_address(address: dict[str, Any]) -> dict[str, Any]:
    return {
        "address1": address.get("addressLine1", ""),
        "city": address.get("city", ""),
        "state": address.get("stateOrProvince", ""),
        "postalCode": address.get("zipOrPostalCode", ""),
        "country": address.get("country", ""),
    }


def _seed_customer(ctx: Ctx, spec: dict[str, Any], stamp: str) -> tuple[Doc, dict[str, Any], str]:
    store = ctx.store
    status = spec.get("status", "provisioned")
    customer_id = store.mint("ENTERPRISE")
    org_id = ""
    doc: Doc = {
        "id": customer_id,
        "externalId": spec["externalId"],
        "address": spec["address"],
        "status": status,
        "packages": list(spec.get("packages", [])),
        "resourceDetails": package_details(list(spec.get("packages", [])), "provisioned"),
        "errors": [],
    }
    if status != "error":
        org_id = store.mint("ORGANIZATION")
        doc["orgId"] = org_id
    if status in ("error", "provisioned_with_errors") and doc["packages"]:
        failed = doc["resourceDetails"]["packages"][0]
        failed.update(status="error", errors=[MAINTENANCE], warnings=[MAINTENANCE])
        doc["errors"] = [MAINTENANCE]
    priv = {
        "name": spec.get("name"),
        "primaryEmail": spec.get("adminEmail"),
        "provisioningId": spec.get("provisioningId"),
        "pstn": spec.get("pstn"),
    }
    if spec.get("pstn") is not None and spec["pstn"] not in PSTN_TYPES:
        raise ValueError(f"pstn {spec['pstn']}")
    if org_id:
        priv["orgCreated"] = stamp
    store.insert("customers", doc, **customer_cols(doc, priv, None))
    return doc, priv, org_id
