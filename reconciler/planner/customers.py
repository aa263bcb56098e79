"""Customers: create, update, delete, and what a live status means for one (SPEC §2, §4)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Literal

from reconciler.model import (
    CUSTOMER_BAD_ENDINGS,
    CUSTOMER_IN_FLIGHT,
    Customer,
    Location,
    has_calling,
)
from reconciler.plan import Change, FieldDiff
from reconciler.planner.builder import (
    Builder,
    address_data,
    cust_addr,
    diff,
    location_data,
)

#: Nothing is issued for a customer in flight (wait for the job); one whose provisioning ended
#: badly gets a warning with the error codes, and an update that retries it.
IN_FLIGHT = CUSTOMER_IN_FLIGHT
FAILED = CUSTOMER_BAD_ENDINGS

CHECKLIST_HINT = "see `reconciler templates checklist`"


#: What the planner does under a customer after planning the customer itself.
Children = Literal["none", "live", "fresh"]


def plan_customer(
    b: Builder,
    cust: Customer,
    live: Customer | None,
    locations: Mapping[str, Location],
    *,
    has_children: bool,
) -> Children:
    """Plan one customer. Returns how its locations and users are planned: ``"none"`` (absent,
    or waiting), ``"live"`` (against its live ones), ``"fresh"`` (it has no organization and
    gets one from this plan's customer change: every desired one is a create)."""
    addr = cust_addr(cust.external_id)
    status = live.live.status if live is not None and live.live is not None else None
    if status in IN_FLIGHT:
        b.warn(
            addr,
            f"customer is {status}: wait for Partner Hub to finish; nothing is issued for it "
            "or its locations and users in this run",
        )
        return "none"
    if cust.state == "absent":
        if live is not None:
            b.add(Change("delete", "customer", cust.external_id, notes=_delete_notes(b, cust)))
        return "none"
    if status == "pending_rpl_review":
        b.warn(
            addr,
            "customer is pending_rpl_review (Denied Party List compliance check): nothing can "
            "be done until Partner Hub clears it; changes to it and its locations and users "
            "wait",
        )
        return "none"

    hq = locations.get(cust.headquarters) if cust.headquarters else None
    if live is None:
        _create_customer(b, cust, hq)
        return "fresh"
    retry = None
    if live.live is not None and status in FAILED:
        codes = ", ".join(live.live.errors) or "none reported"
        b.warn(addr, f"customer status is {status} (error codes: {codes}): a retry is planned")
        retry = f"retry: provisioning ended in {status} (codes: {codes})"
    _update_customer(b, cust, live, hq, retry=retry)
    if live.live is not None and not live.live.org_id:
        if retry is not None:
            return "fresh"
        if has_children:
            b.warn(
                addr,
                "customer has no organization yet: its locations and users wait until it is "
                "provisioned",
            )
        return "none"
    return "live"


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


def _update_customer(
    b: Builder, cust: Customer, live: Customer, hq: Location | None, *, retry: str | None
) -> None:
    """An update for what differs; with ``retry`` (a provisioning that ended badly), an update
    even when nothing differs: the same PUT, calling parameters included, is sent again."""
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
    notes: list[str] = [retry] if retry else []
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
    if (packages is not None or retry) and has_calling(cust.packages):
        hq_live = hq is not None and (ext, hq.name) in b.live.locations
        if hq is None:
            notes.append("calling packages need a headquarters location (none declared)")
        elif not has_calling(live.packages) or (retry and not hq_live):
            fields.append(FieldDiff("headquarters", None, location_data(hq)))
            if not has_calling(live.packages):
                notes.append(
                    f"adds calling: headquarters location {hq.name!r} is sent as "
                    "provisioningParameters.calling.location"
                )
            else:
                notes.append(
                    f"headquarters location {hq.name!r} is created by the customer's "
                    "provisioning (provisioningParameters.calling), not separately"
                )
            if not hq_live:
                b.carried_hq[ext] = hq.name
        else:
            notes.append(
                f"provisioningParameters.calling is re-sent from headquarters location {hq.name!r}"
            )
    if retry and not {f.field for f in fields} - {"headquarters"}:
        b.retry_only.add(addr)
    if fields or retry:
        b.add(Change("update", "customer", ext, fields=tuple(fields), notes=tuple(notes)))
