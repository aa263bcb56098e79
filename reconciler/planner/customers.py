"""Customers: create, update, delete, and what a live status means for one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler.model import (
    CUSTOMER_BAD_ENDINGS,
    CUSTOMER_IN_FLIGHT,
    Customer,
    Location,
    Template,
    has_calling,
)
from reconciler.plan import Change, CustomerFacts, FieldDiff, Notice
from reconciler.planner.common import (
    Findings,
    address_data,
    created,
    cust_addr,
    diff,
    location_data,
)

CHECKLIST_HINT = "see `reconciler templates checklist`"

#: What the planner does under a customer after planning the customer itself: nothing
#: (absent, or waiting), plan against its live locations and users, or plan every desired one
#: as a create (it has no organization and gets one from this plan's customer change).
Children = Literal["none", "live", "fresh"]


@dataclass(frozen=True, slots=True)
class CustomerPlan:
    """One customer planned: what was found, how its locations and users are planned, and
    whether its update only retries a failed provisioning (not counted by the thresholds)."""

    findings: Findings
    children: Children
    retry_only: bool = False


def _warn(ext: str, message: str, children: Children = "none") -> CustomerPlan:
    return CustomerPlan(Findings(warnings=(Notice(cust_addr(ext), message),)), children)


def plan_customer(
    cust: Customer,
    live: Customer | None,
    locations: Mapping[str, Location],
    live_locations: Mapping[str, Location],
    templates: Mapping[str, Template],
    *,
    has_children: bool,
    live_users: int,
) -> CustomerPlan:
    """Plan one customer: ``locations`` are its desired locations, ``live_locations`` its live
    ones, ``live_users`` the number of its live users (for a delete's note)."""
    ext = cust.external_id
    status = live.live.status if live is not None and live.live is not None else None
    if status in CUSTOMER_IN_FLIGHT:
        return _warn(
            ext,
            f"customer is {status}: wait for Partner Hub to finish; nothing is issued for it "
            "or its locations and users in this run",
        )
    if cust.state == "absent":
        if live is None:
            return CustomerPlan(Findings(), "none")
        # the counts are fields, so they are part of what is reviewed (the checksum): a plan
        # approved for 3 users does not apply once the customer has 300
        fields = (
            FieldDiff("locations", len(live_locations), None),
            FieldDiff("users", live_users, None),
        )
        notes = ("state: absent: its locations and users are deleted with it",)
        delete = Change("delete", "customer", ext, fields=fields, notes=notes)
        return CustomerPlan(Findings(changes=(delete,)), "none")
    if status == "pending_rpl_review":
        return _warn(
            ext,
            "customer is pending_rpl_review (Denied Party List compliance check): nothing can "
            "be done until Partner Hub clears it; changes to it and its locations and users "
            "wait",
        )
    hq = locations.get(cust.headquarters) if cust.headquarters else None
    template = templates.get(cust.template or "")
    facts = CustomerFacts(cust, hq, template.provisioning_id if template is not None else None)
    if live is None:
        return CustomerPlan(_create_customer(cust, hq, facts), "fresh")
    return _existing_customer(cust, live, live_locations, hq, facts, has_children=has_children)


def _existing_customer(
    cust: Customer,
    live: Customer,
    live_locations: Mapping[str, Location],
    hq: Location | None,
    facts: CustomerFacts,
    *,
    has_children: bool,
) -> CustomerPlan:
    ext, ref = cust.external_id, live.live
    status = ref.status if ref is not None else None
    warnings: list[Notice] = []
    retry = None
    if ref is not None and status in CUSTOMER_BAD_ENDINGS:
        codes = ", ".join(ref.errors) or "none reported"
        warnings.append(
            Notice(
                cust_addr(ext),
                f"customer status is {status} (error codes: {codes}): a retry is planned",
            )
        )
        retry = f"retry: provisioning ended in {status} (codes: {codes})"
    update = _update_customer(cust, live, live_locations, hq, facts, retry=retry)
    findings = Findings(update.changes, (*warnings, *update.warnings))
    # A retry that changes nothing the YAML says (at most it re-sends the headquarters).
    changed = {f.field for c in update.changes for f in c.fields}
    retry_only = retry is not None and changed <= {"headquarters"}
    children: Children = "live"
    if ref is not None and not ref.org_id:
        children = "fresh" if retry is not None else "none"
        if retry is None and has_children:
            message = (
                "customer has no organization yet: its locations and users wait until it is "
                "provisioned"
            )
            findings = Findings(
                findings.changes, (*findings.warnings, Notice(cust_addr(ext), message))
            )
    return CustomerPlan(findings, children, retry_only)


def _create_customer(cust: Customer, hq: Location | None, facts: CustomerFacts) -> Findings:
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
        facts = CustomerFacts(facts.customer, hq, facts.provisioning_id, carries=hq.name)
        notes.append(
            f"headquarters location {hq.name!r} is created by the customer's provisioning "
            "(provisioningParameters.calling), not separately"
        )
    change = Change(
        "create", "customer", ext, fields=created(fields), notes=tuple(notes), facts=facts
    )
    blocked: tuple[Notice, ...] = ()
    if not facts.provisioning_id:
        blocked = (
            Notice(
                cust_addr(ext),
                f"template {cust.template!r} has no provisioningId: create the template in "
                "Partner Hub and copy its Provisioning ID into the Template document "
                f"({CHECKLIST_HINT})",
            ),
        )
    return Findings(changes=(change,), blocked=blocked)


def _create_only_warnings(cust: Customer, live: Customer) -> tuple[Notice, ...]:
    """What the YAML says differently from a *known* live value of a field that cannot change
    (the name can, through the identity API, once the customer has an org)."""
    renamable = live.live is not None and bool(live.live.org_id)
    pairs = [
        ("language", cust.language, live.language),
        ("template", cust.template, live.template),
    ]
    notices = []
    if not renamable and cust.name and live.name and cust.name != live.name:
        notices.append(
            Notice(
                cust_addr(cust.external_id),
                f"name differs from live {live.name!r} (YAML {cust.name!r}), but the customer "
                "has no organization to rename yet (ignored)",
            )
        )
    notices += [
        Notice(
            cust_addr(cust.external_id),
            f"{label} cannot change after creation: live {have!r}, YAML {want!r} (ignored)",
        )
        for label, want, have in pairs
        if want is not None and have is not None and want != have
    ]
    admins = live.live.admins if live.live is not None and live.live.admins else ()
    if not admins and live.admin_email:
        admins = (live.admin_email.lower(),)
    if cust.admin_email and admins and cust.admin_email.lower() not in admins:
        notices.append(
            Notice(
                cust_addr(cust.external_id),
                f"adminEmail cannot change after creation: YAML {cust.admin_email!r} is not a "
                f"Full Administrator of the org (live: {', '.join(admins)}) (ignored)",
            )
        )
    return tuple(notices)


def _rename(cust: Customer, live: Customer) -> FieldDiff | None:
    """The name, when it differs from the org's displayName and the org can be renamed."""
    if live.live is None or not live.live.org_id:
        return None
    if cust.name is None or live.name is None or cust.name == live.name:
        return None
    return FieldDiff("name", live.name, cust.name)


def _update_customer(
    cust: Customer,
    live: Customer,
    live_locations: Mapping[str, Location],
    hq: Location | None,
    facts: CustomerFacts,
    *,
    retry: str | None,
) -> Findings:
    """An update for what differs; with ``retry`` (a provisioning that ended badly), an update
    even when nothing differs: the same PUT, calling parameters included, is sent again."""
    fields: list[FieldDiff] = []
    notes: list[str] = [retry] if retry else []
    rename = _rename(cust, live)
    if rename is not None:
        fields.append(rename)
        notes.append("name: the organization is renamed (PATCH /identity/organizations/{orgUuid})")
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
        facts = _calling(live, live_locations, hq, facts, fields, notes, retry=retry)
    changes: tuple[Change, ...] = ()
    if fields or retry:
        ext = cust.external_id
        changes = (
            Change(
                "update", "customer", ext, fields=tuple(fields), notes=tuple(notes), facts=facts
            ),
        )
    return Findings(changes, _create_only_warnings(cust, live))


def _calling(
    live: Customer,
    live_locations: Mapping[str, Location],
    hq: Location | None,
    facts: CustomerFacts,
    fields: list[FieldDiff],
    notes: list[str],
    *,
    retry: str | None,
) -> CustomerFacts:
    """The headquarters part of a calling customer's update (appended to ``fields`` and
    ``notes``); returns the facts, with the location the update carries when it makes one."""
    if hq is None:
        notes.append("calling packages need a headquarters location (none declared)")
        return facts
    hq_live = hq.name in live_locations
    if has_calling(live.packages) and not (retry and not hq_live):
        notes.append(
            f"provisioningParameters.calling is re-sent from headquarters location {hq.name!r}"
        )
        return facts
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
    if hq_live:
        return facts
    return CustomerFacts(facts.customer, hq, facts.provisioning_id, carries=hq.name)
