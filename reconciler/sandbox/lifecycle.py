"""The customer lifecycle, advanced lazily from the injected clock.

A write sets ``due`` on the customer row; every request first settles the customers whose
``due`` has passed: ``provisioning`` → ``provisioned`` / ``provisioned_with_errors`` /
``error``; ``updating`` → ``provisioned``; ``deleting`` → gone (with its org's subscribers,
locations and people).
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.calling import settle_provider_numbers, sync_provider_numbers
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.ids import decode, encode
from reconciler.sandbox.jobrun import settle_jobs
from reconciler.sandbox.objects import FULL_ADMIN_ROLE, iso, new_location, new_person
from reconciler.sandbox.store import Doc, Store

MAINTENANCE = {
    "errorCode": 2560,
    "description": (
        "One or more Webex Calling services are unavailable due to maintenance, unable to start "
        "provisioning. Consult status.webex.com and retry later."
    ),
}


def customer_cols(doc: Doc, priv: dict[str, Any], due: float | None) -> dict[str, Any]:
    return {
        "external_id": doc["externalId"],
        "org_id": doc.get("orgId"),
        "status": doc["status"],
        "due": due,
        "priv": priv,
    }


def package_details(packages: list[str], status: str) -> dict[str, Any]:
    return {"packages": [{"name": p, "status": status} for p in packages]}


def advance(store: Store, cfg: SandboxConfig, now: float) -> None:
    """Settle every due telephony job and delayed provider sync, then every customer whose
    pending transition is due."""
    settle_jobs(store, cfg, now)
    settle_provider_numbers(store, cfg, now)
    due = store.due_customers(now)
    if not due:
        return
    for customer_id in due:
        row = store.row("customers", customer_id)
        if row is None:
            continue
        doc, priv = row["doc"], row["priv"]
        status = doc["status"]
        if status == "deleting":
            remove_customer(store, doc)
            continue
        if status == "provisioning":
            _finish_provisioning(store, doc, priv, now)
        elif status == "updating":
            doc["status"] = "provisioned"
            doc["resourceDetails"] = package_details(doc["packages"], "provisioned")
            doc["errors"] = []
            _ensure_headquarters(store, doc, priv)
        store.update("customers", doc, **customer_cols(doc, priv, None))
        # after the update: the sync finds the customer by its (new) orgId
        sync_provider_numbers(store, cfg, priv.get("headquarters"))
    store.commit()


def _finish_provisioning(store: Store, doc: Doc, priv: dict[str, Any], now: float) -> None:
    outcome = priv.get("outcome", "provisioned")
    packages: list[str] = doc["packages"]
    if outcome == "error":
        doc["status"] = "error"
        doc["errors"] = [MAINTENANCE]
        doc["resourceDetails"] = {
            "packages": [{"name": p, "status": "error", "errors": [MAINTENANCE]} for p in packages]
        }
        return
    decoded = decode(doc["id"])
    doc["orgId"] = encode("ORGANIZATION", decoded[1] if decoded else store.mint_uuid())
    priv["orgCreated"] = iso(now)
    doc["status"] = outcome
    doc["errors"] = []
    details = package_details(packages, "provisioned")
    if outcome == "provisioned_with_errors":
        failing = priv.get("failing_package") or packages[0]
        for item in details["packages"]:
            if item["name"] == failing:
                item.update(status="error", warnings=[MAINTENANCE], errors=[MAINTENANCE])
        doc["errors"] = [MAINTENANCE]
    doc["resourceDetails"] = details
    email = priv.get("primaryEmail")
    if email and not store.ids("people", {"email_lc": email.lower()}):
        new_person(store, now, org_id=doc["orgId"], email=email, roles=[FULL_ADMIN_ROLE])
    _ensure_headquarters(store, doc, priv)


def _ensure_headquarters(store: Store, doc: Doc, priv: dict[str, Any]) -> None:
    """Create the calling location sent with provisioning, once the org exists."""
    calling = priv.pop("calling_location", None)
    if not calling or not doc.get("orgId"):
        return
    address = calling["address"]
    fields = {
        "name": calling["name"],
        "address": {
            k2: address[k1]
            for k1, k2 in (
                ("addressLine1", "address1"),
                ("addressLine2", "address2"),
                ("city", "city"),
                ("stateOrProvince", "state"),
                ("zipOrPostalCode", "postalCode"),
                ("country", "country"),
            )
            if address.get(k1)
        },
        "timeZone": calling["timezone"],
        "preferredLanguage": calling["language"],
        "announcementLanguage": calling["language"],
    }
    location = new_location(store, org_id=doc["orgId"], fields=fields, calling=True)
    priv["headquarters"] = location["id"]


def remove_customer(store: Store, doc: Doc) -> None:
    """The customer is gone: its subscribers, and its org's locations and people with it."""
    store.delete_where("subscribers", {"customer_id": doc["id"]})
    org_id = doc.get("orgId")
    if org_id:
        for table in ("locations", "people", "numbers", "jobs"):
            store.delete_where(table, {"org_id": org_id})
    store.delete("customers", doc["id"])
