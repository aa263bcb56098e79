"""Customers: create, update, delete, and what a live status means for one (SPEC §2, §4)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from reconciler.model import Customer, Location
from reconciler.plan import Change, FieldDiff
from reconciler.planner.builder import (
    Builder,
    address_data,
    cust_addr,
    diff,
    has_calling,
    location_data,
)

#: Customer statuses during which nothing is issued for that customer (wait for the job).
IN_FLIGHT = frozenset({"provisioning", "updating", "deleting"})
#: Customer statuses reported as warnings with their error codes.
FAILED = frozenset({"error", "provisioned_with_errors"})

CHECKLIST_HINT = "see `reconciler templates checklist`"


def plan_customer(
    b: Builder, cust: Customer, live: Customer | None, locations: Mapping[str, Location]
) -> bool:
    """Plan one customer; True when its locations and users are to be planned too."""
    addr = cust_addr(cust.external_id)
    status = live.live.status if live is not None and live.live is not None else None
    if status in IN_FLIGHT:
        b.warn(
            addr,
            f"customer is {status}: wait for Partner Hub to finish; nothing is issued for it "
            "or its locations and users in this run",
        )
        return False
    if cust.state == "absent":
        if live is not None:
            b.add(Change("delete", "customer", cust.external_id, notes=_delete_notes(b, cust)))
        return False
    if live is not None and live.live is not None:
        if status in FAILED:
            codes = ", ".join(live.live.errors) or "none reported"
            b.warn(addr, f"customer status is {status} (error codes: {codes})")
        elif status == "pending_rpl_review":
            b.warn(addr, "customer is pending_rpl_review (Denied Party List compliance check)")

    hq = locations.get(cust.headquarters) if cust.headquarters else None
    if live is None:
        _create_customer(b, cust, hq)
    else:
        _update_customer(b, cust, live, hq)
    return True


def _delete_notes(b: Builder, cust: Customer) -> tuple[str, ...]:
    if b.children is None:
        b.children = Counter()
        b.children.update((k[0], "location") for k in b.live.locations)
        b.children.update((k[0], "user") for k in b.live.users)
    ext = cust.external_id
    n_locs, n_users = b.children[(ext, "location")], b.children[(ext, "user")]
    return (f"removes the customer with its {n_locs} location(s) and {n_users} user(s)",)


def _create_customer(b: Builder, cust: Customer, hq: Location | None) -> None:
    ext = cust.external_id
    fields = [
        FieldDiff("name", None, cust.name),
        FieldDiff("adminEmail", None, cust.admin_email),
        FieldDiff("language", None, cust.language),
        FieldDiff("template", None, cust.template),
        FieldDiff("packages", None, list(cust.packages)),
        FieldDiff("address", None, address_data(cust.address)),
        FieldDiff("meetingsTimeZone", None, cust.meetings_time_zone),
    ]
    notes: list[str] = []
    if hq is not None and hq.state == "present" and has_calling(cust.packages):
        fields.append(FieldDiff("headquarters", None, location_data(hq)))
        b.carried_hq[ext] = hq.name
        notes.append(
            f"headquarters location {hq.name!r} is created by the customer's provisioning "
            "(provisioningParameters.calling), not separately"
        )
    b.add(
        Change(
            "create",
            "customer",
            ext,
            fields=tuple(f for f in fields if f.after is not None),
            notes=tuple(notes),
        )
    )
    template = b.desired.templates.get(cust.template or "")
    if template is None or not template.provisioning_id:
        b.block(
            cust_addr(ext),
            f"template {cust.template!r} has no provisioningId: create the template in Partner "
            f"Hub and copy its Provisioning ID into the Template document ({CHECKLIST_HINT})",
        )


def _update_customer(b: Builder, cust: Customer, live: Customer, hq: Location | None) -> None:
    ext = cust.external_id
    addr = cust_addr(ext)
    for label, want, have in (
        ("name", cust.name, live.name),
        ("adminEmail", cust.admin_email, live.admin_email),
        ("language", cust.language, live.language),
        ("template", cust.template, live.template),
    ):
        if want is not None and have is not None and want != have:
            b.warn(
                addr,
                f"{label} cannot change after creation: live {have!r}, YAML {want!r} (ignored)",
            )
    fields: list[FieldDiff] = []
    notes: list[str] = []
    packages = diff("packages", list(cust.packages), list(live.packages))
    if packages is not None:
        fields.append(packages)
        added = sorted(set(cust.packages) - set(live.packages))
        removed = sorted(set(live.packages) - set(cust.packages))
        notes.append(
            "packages: "
            + ", ".join([f"+{p}" for p in added] + [f"-{p}" for p in removed])
            + " (the complete set is sent)"
        )
    address = diff("address", address_data(cust.address), address_data(live.address))
    if address is not None:
        fields.append(address)
    if live.meetings_time_zone is not None:
        tz = diff("meetingsTimeZone", cust.meetings_time_zone, live.meetings_time_zone)
        if tz is not None:
            fields.append(tz)
    if packages is not None and has_calling(cust.packages):
        if hq is None:
            notes.append("calling packages need a headquarters location (none declared)")
        elif not has_calling(live.packages):
            fields.append(FieldDiff("headquarters", None, location_data(hq)))
            notes.append(
                f"adds calling: headquarters location {hq.name!r} is sent as "
                "provisioningParameters.calling.location"
            )
            if (ext, hq.name) not in b.live.locations:
                b.carried_hq[ext] = hq.name
        else:
            notes.append(
                f"provisioningParameters.calling is re-sent from headquarters location {hq.name!r}"
            )
    if fields:
        b.add(Change("update", "customer", ext, fields=tuple(fields), notes=tuple(notes)))
