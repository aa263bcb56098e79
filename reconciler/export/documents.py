"""The live estate as desired-state documents: what ``reconciler export`` writes.

How a partner with an existing estate adopts the tool: read Partner Hub once (read-only), write
one YAML file per customer, then ``plan`` over the export shows no changes.

The wholesale API never returns a customer's create-only fields; they are recovered where the
API allows it, and said so where it does not:

- ``name``: the ``displayName`` of the customer's org (``GET /organizations``: one unpaginated
  list of every org the partner manages; scope ``spark-admin:organizations_read``). A customer
  whose org is not listed (none yet, e.g. ``error``), or every customer when the token may not
  list orgs, gets its ``externalId`` as name, with a warning.
- ``adminEmail``: the org's person with the ``Full Administrator`` role who is not a
  subscriber (the administrator provisioning created); if every full administrator is a
  subscriber, the earliest-created one. None at all: no ``adminEmail`` (the file says why and
  ``validate`` will ask for one). The field is create-only, so ``plan`` never compares it.
- ``template``: ``--template NAME`` (default ``imported``) for every customer, and a
  ``templates.yaml`` declaring that Template without a provisioningId: a template is used only
  when a customer is created, so ``plan`` blocks nothing for exported customers, and
  ``templates checklist`` points out the missing ID before new customers use it.
- ``language``: not recoverable (neither the org nor the people say it); left out.
- ``headquarters`` (required with a calling package, used only when calling is added): the
  customer's only location, else the one whose address is the customer's, else the first by
  name, with a note in the file.

Everything else (packages, address, locations, users with names, numbers, location and roles)
is written as read; of a calling customer's locations also ``calling`` where it is not the
default and ``numbers`` (each calling location's inventory, with a note: the lists do not say
which numbers an integrated PSTN provider assigns rather than the partner). Output is
deterministic: customers, locations and users sorted, one file per customer. After writing,
the export checks itself: the directory is validated and planned against the very live state
it came from (no further requests); whatever would still be a change is reported
(:mod:`reconciler.workflow.export` reads, writes and checks; this module only turns what was
read into documents).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model import (
    CALLING_USER_PACKAGES,
    FULL_ADMIN_ROLE,
    Address,
    Customer,
    Location,
    State,
    User,
    has_calling,
)

Json = dict[str, Any]

DEFAULT_TEMPLATE = "imported"
CUSTOMER_SCHEMA = "../../schemas/customer.schema.json"
TEMPLATE_SCHEMA = "../schemas/template.schema.json"
TEMPLATES_FILE = "templates.yaml"
CUSTOMERS_DIR = "customers"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One YAML file to write: its path under the output directory, the schema for the
    editor modeline, comment lines for its top, and the document itself."""

    path: str
    schema: str
    comments: tuple[str, ...]
    data: Json


@dataclass(frozen=True, slots=True)
class Export:
    """What an export writes, what it read, and what it could not recover."""

    documents: tuple[ExportFile, ...]
    live: State
    #: externalIds exported, sorted.
    customers: tuple[str, ...]
    #: One line per thing a reader should know (stderr).
    warnings: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        exported = set(self.customers)
        return {
            "customers": len(self.customers),
            "locations": sum(1 for c, _ in self.live.locations if c in exported),
            "users": sum(1 for c, _ in self.live.users if c in exported),
        }


# --- recovering create-only fields -----------------------------------------------------------


def _created(person: Mapping[str, Any]) -> tuple[int, dt.datetime | str]:
    raw = str(person.get("created") or "")
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        return (1, raw)  # unparseable or missing: after every dated one
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (0, moment)


def _email(person: Mapping[str, Any]) -> str | None:
    for email in person.get("emails") or ():
        if isinstance(email, str) and email.strip():
            return email.strip()
    return None


def admin_email(
    people: Iterable[Mapping[str, Any]], users: Iterable[User]
) -> tuple[str | None, str | None]:
    """The customer's administrator email and, when it was a choice, a note saying how.

    The full administrator who is not a subscriber (the one provisioning created); if every
    full administrator is a subscriber, the earliest created. ``(None, reason)`` when the org
    has no full administrator with an email.
    """
    subscriber_ids = {u.live.person_id for u in users if u.live and u.live.person_id}
    subscriber_emails = {u.email for u in users}
    admins = [
        p for p in people if FULL_ADMIN_ROLE in (p.get("roleNames") or ()) and _email(p) is not None
    ]
    if not admins:
        return None, "no person in the org has the Full Administrator role"

    def order(person: Mapping[str, Any]) -> tuple[tuple[int, Any], str]:
        return (_created(person), str(_email(person)).lower())

    def is_subscriber(person: Mapping[str, Any]) -> bool:
        return (
            str(person.get("id")) in subscriber_ids
            or str(_email(person)).lower() in subscriber_emails
        )

    outside = sorted((p for p in admins if not is_subscriber(p)), key=order)
    if len(outside) == 1:
        return _email(outside[0]), None
    if outside:
        return _email(outside[0]), (
            f"adminEmail: the earliest created of {len(outside)} Full Administrators who "
            "are not users"
        )
    first = min(admins, key=order)
    return _email(first), (
        "adminEmail: every Full Administrator is also a user; the earliest created was taken"
    )


def _same_address(a: Address | None, b: Address) -> bool:
    if a is None:
        return False

    def norm(x: Address) -> tuple[str, ...]:
        return tuple(
            (v or "").strip().lower()
            for v in (x.line1, x.line2, x.city, x.state, x.postal_code, x.country)
        )

    return norm(a) == norm(b)


def headquarters(customer: Customer, locations: list[Location]) -> tuple[str | None, str | None]:
    """The location to name as ``headquarters`` (calling customers only) and a note when
    it was a guess. The API does not say which location provisioning created."""
    if not has_calling(customer.packages):
        return None, None
    if not locations:
        return None, "calling packages but no location to name as headquarters"
    if len(locations) == 1:
        return locations[0].name, None
    same = [loc for loc in locations if _same_address(loc.address, customer.address)]
    if same:
        return same[0].name, (
            f"headquarters: {same[0].name!r} has the customer's address (the API does not say "
            "which location provisioning created); check it"
        )
    return locations[0].name, (
        f"headquarters: {locations[0].name!r} is a guess (first by name; no location has the "
        "customer's address); check it"
    )


# --- documents -------------------------------------------------------------------------------


def location_yaml(location: Location, *, calling_default: bool = False) -> Json:
    """A location as YAML. ``calling`` only where it differs from the customer's default
    (``calling_default``: the customer holds a calling package) and is known; ``numbers``
    (the location's inventory as read) only at a calling location with numbers: absent
    means "not managed, only checked", which an empty list would not say."""
    out: Json = {"name": location.name}
    for key, value in (
        ("timeZone", location.time_zone),
        ("preferredLanguage", location.preferred_language),
        ("announcementLanguage", location.announcement_language),
    ):
        if value is not None:
            out[key] = value
    if location.address is not None:
        out["address"] = location.address.to_data()
    if location.calling is not None and location.calling != calling_default:
        out["calling"] = location.calling
    if location.calling and location.numbers:
        out["numbers"] = list(location.numbers)
    return out


#: The note of a customer whose export declares ``numbers``.
NUMBERS_NOTE = (
    "numbers: each calling location's number inventory as read; Partner Hub's lists do not "
    "say whose numbers the partner manages (Local Gateway, non-integrated PSTN) and whose an "
    "integrated PSTN provider assigns: drop `numbers` at the latter"
)


def user_yaml(user: User) -> Json:
    """A user as YAML; a user without a calling package gets no location, number or extension
    (a person keeps them after a downgrade, but validate refuses them: Webex sets them only
    with a calling licence)."""
    out: Json = {"email": user.email}
    calling = user.package in CALLING_USER_PACKAGES
    for key, value in (
        ("firstName", user.first_name),
        ("lastName", user.last_name),
        ("package", user.package),
        ("location", user.location if calling else None),
        ("phoneNumber", user.phone_number if calling else None),
        ("extension", user.extension if calling else None),
    ):
        if value is not None:
            out[key] = value
    if user.roles:
        out["roles"] = list(user.roles)
    return out


def file_names(external_ids: Iterable[str]) -> dict[str, str]:
    """externalId → file name: the ID itself when it is a safe, unique name (also on a
    case-insensitive file system), else a safe form with a short hash of the ID."""
    ids = sorted(external_ids)
    folded: dict[str, int] = {}
    for ext in ids:
        folded[ext.lower()] = folded.get(ext.lower(), 0) + 1
    names: dict[str, str] = {}
    for ext in ids:
        safe = _SAFE_NAME.sub("_", ext).strip(".") or "customer"
        if safe != ext or folded[ext.lower()] > 1:
            digest = hashlib.sha256(ext.encode("utf-8")).hexdigest()[:8]
            safe = f"{safe}-{digest}"
        names[ext] = f"{safe}.yaml"
    return names


def template_document(name: str) -> ExportFile:
    return ExportFile(
        path=TEMPLATES_FILE,
        schema=TEMPLATE_SCHEMA,
        comments=(
            "Written by `reconciler export`: the template the exported customers are filed",
            "under. Partner Hub's API does not say which onboarding template created a",
            "customer, and a template only matters when a customer is created, so this one",
            "has no provisioningId. Before creating customers with it, add the Provisioning ID",
            "and its partnerHub settings (see `reconciler templates checklist`).",
        ),
        data={
            "kind": "Template",
            "name": name,
            "description": "Customers adopted from Partner Hub by reconciler export.",
        },
    )


def build_export(
    live: State,
    people: Mapping[str, list[Json]],
    organizations: Iterable[Mapping[str, Any]] | None,
    *,
    template: str = DEFAULT_TEMPLATE,
) -> Export:
    """The documents for every customer of ``live`` (pure). ``organizations`` None: the list
    could not be read (every name falls back to the externalId)."""
    warnings: list[str] = []
    if organizations is None:
        organizations = ()
        warnings.append(
            "GET /organizations was refused (the token lacks spark-admin:organizations_read): "
            "customer names cannot be read"
        )
    names = {
        str(o.get("id")): str(o["displayName"]).strip()
        for o in organizations
        if isinstance(o.get("displayName"), str) and str(o["displayName"]).strip()
    }
    locations: dict[str, list[Location]] = {}
    for (ext, _), loc in sorted(live.locations.items()):
        locations.setdefault(ext, []).append(loc)
    users: dict[str, list[User]] = {}
    for (ext, _), user in sorted(live.users.items()):
        users.setdefault(ext, []).append(user)

    files = file_names(live.customers)
    documents = [template_document(template)]
    for ext in sorted(live.customers):
        cust = live.customers[ext]
        ref = cust.live
        org_id = ref.org_id if ref else None
        notes: list[str] = []

        def note(text: str, *, ext: str = ext, notes: list[str] = notes) -> None:
            notes.append(text)
            warnings.append(f"customer/{ext}: {text}")

        if ref is not None and ref.status and ref.status != "provisioned":
            detail = f" ({'; '.join(ref.errors)})" if ref.errors else ""
            note(f"live status is {ref.status}{detail}")
        if not org_id:
            note("no organization yet: its locations and users cannot be read")
        name = names.get(org_id or "")
        if name is None:
            name = ext
            note("name: its organization is not listed, so the externalId stands in; fix it")
        email, why = (
            admin_email(people.get(ext, ()), users.get(ext, ()))
            if org_id
            else (None, "no organization to find an administrator in")
        )
        if email is None:
            note(f"adminEmail unknown ({why}): add the customer's administrator email")
        elif why:
            notes.append(why)
        hq, hq_note = headquarters(cust, locations.get(ext, []))
        if hq_note and hq is None:
            note(hq_note)
        elif hq_note:
            notes.append(hq_note)

        data: Json = {"kind": "Customer", "externalId": ext, "name": name}
        if email is not None:
            data["adminEmail"] = email
        data["template"] = template
        data["packages"] = list(cust.packages)
        data["address"] = cust.address.to_data()
        if hq is not None:
            data["headquarters"] = hq
        if locations.get(ext):
            calling = has_calling(cust.packages)
            data["locations"] = [
                location_yaml(loc, calling_default=calling) for loc in locations[ext]
            ]
            if any("numbers" in loc for loc in data["locations"]):
                notes.append(NUMBERS_NOTE)
        if users.get(ext):
            data["users"] = [user_yaml(u) for u in users[ext]]
        documents.append(
            ExportFile(
                path=f"{CUSTOMERS_DIR}/{files[ext]}",
                schema=CUSTOMER_SCHEMA,
                comments=tuple(notes),
                data=data,
            )
        )
    return Export(
        documents=tuple(documents),
        live=live,
        customers=tuple(sorted(live.customers)),
        warnings=tuple(warnings),
    )
