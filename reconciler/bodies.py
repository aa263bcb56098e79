"""Plan changes and model values → Partner Hub request bodies (pure: no IO, no defaults
invented). :func:`for_change` builds the write of any change from the facts it carries.

Each API spells the one :class:`~reconciler.model.Address` its own way: wholesale customers
use ``addressLine1``/``stateOrProvince``/``zipOrPostalCode``, ``/locations`` uses
``address1``/``state``/``postalCode``. Unset optional values are left out, never sent as
``null``. Every body here validates against the official request schema (tests check it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from reconciler.errors import PlanError
from reconciler.model import (
    CALLING_USER_PACKAGES,
    Address,
    Customer,
    Location,
    User,
    has_calling,
)
from reconciler.plan import Action, Change, CustomerFacts, LocationFacts, UserFacts

Body = dict[str, Any]
F = TypeVar("F", CustomerFacts, LocationFacts, UserFacts)

#: Fields ``PUT /people/{id}`` accepts (the admin spec's request schema); the rest of a GET is
#: read-only and is dropped from the full-replacement body.
PERSON_PUT_FIELDS = (
    "emails",
    "phoneNumbers",
    "extension",
    "locationId",
    "displayName",
    "firstName",
    "lastName",
    "nickName",
    "avatar",
    "orgId",
    "roles",
    "licenses",
    "department",
    "manager",
    "managerId",
    "title",
    "addresses",
    "siteUrls",
    "loginEnabled",
)


def _drop_none(values: Mapping[str, Any]) -> Body:
    return {k: v for k, v in values.items() if v is not None}


def customer_address(address: Address) -> Body:
    """The wholesale customer address shape."""
    return _drop_none(
        {
            "addressLine1": address.line1,
            "addressLine2": address.line2,
            "city": address.city,
            "stateOrProvince": address.state,
            "zipOrPostalCode": address.postal_code,
            "country": address.country,
        }
    )


def location_address(address: Address) -> Body:
    """The ``/locations`` address shape."""
    return _drop_none(
        {
            "address1": address.line1,
            "address2": address.line2,
            "city": address.city,
            "state": address.state,
            "postalCode": address.postal_code,
            "country": address.country,
        }
    )


def needs_calling(customer: Customer) -> bool:
    """True when the customer's packages need ``provisioningParameters.calling``."""
    return has_calling(customer.packages)


def calling_location(customer: Customer, headquarters: Location) -> Body:
    """``provisioningParameters.calling.location`` from the headquarters Location: its name,
    its address (the customer's when it has none), time zone and language (announcement
    language, else preferred language, else the customer's language)."""
    address = headquarters.address or customer.address
    language = (
        headquarters.announcement_language or headquarters.preferred_language or customer.language
    )
    return _drop_none(
        {
            "name": headquarters.name,
            "address": customer_address(address),
            "timezone": headquarters.time_zone,
            "language": language,
        }
    )


def provisioning_parameters(customer: Customer, headquarters: Location | None) -> Body:
    """Calling parameters when a calling package is present and a headquarters is given;
    meetings time zone when set."""
    params: Body = {}
    if headquarters is not None and needs_calling(customer):
        params["calling"] = {"location": calling_location(customer, headquarters)}
    if customer.meetings_time_zone:
        params["meetings"] = {"timezone": customer.meetings_time_zone}
    return params


def customer_create(
    customer: Customer, *, provisioning_id: str, headquarters: Location | None
) -> Body:
    """``POST /wholesale/customers``."""
    body: Body = {
        "provisioningId": provisioning_id,
        "packages": list(customer.packages),
        "externalId": customer.external_id,
        "address": customer_address(customer.address),
        "customerInfo": _drop_none(
            {
                "name": customer.name,
                "primaryEmail": customer.admin_email,
                "language": customer.language,
            }
        ),
    }
    params = provisioning_parameters(customer, headquarters)
    if params:
        body["provisioningParameters"] = params
    return body


def customer_update(customer: Customer, *, headquarters: Location | None = None) -> Body:
    """``PUT /wholesale/customers/{id}``: the complete package set and the address.

    Pass ``headquarters`` when a calling package is being added ("provisioning parameters are
    required when updating an existing package"); create-only fields are never sent.
    """
    body: Body = {
        "externalId": customer.external_id,
        "packages": list(customer.packages),
        "address": customer_address(customer.address),
    }
    params = provisioning_parameters(customer, headquarters)
    if params:
        body["provisioningParameters"] = params
    return body


def customer_precheck(
    customer: Customer, *, provisioning_id: str | None, headquarters: Location | None
) -> Body:
    """``POST /wholesale/customers/validate`` for a planned create."""
    body: Body = {
        "packages": list(customer.packages),
        "externalId": customer.external_id,
        "address": customer_address(customer.address),
        "customerInfo": _drop_none({"name": customer.name, "primaryEmail": customer.admin_email}),
    }
    if provisioning_id:
        body["provisioningId"] = provisioning_id
    params = provisioning_parameters(customer, headquarters)
    if params:
        body["provisioningParameters"] = params
    return body


def is_calling_user(user: User) -> bool:
    return user.package in CALLING_USER_PACKAGES


def _subscriber_parameters(user: User, location_id: str | None, *, names: bool) -> Body:
    values: dict[str, Any] = {}
    if names:
        values["firstName"] = user.first_name
        values["lastName"] = user.last_name
    values["primaryPhoneNumber"] = user.phone_number
    values["extension"] = user.extension
    values["locationId"] = location_id
    return _drop_none(values)


def subscriber_create(user: User, *, customer_id: str, location_id: str | None) -> Body:
    """``POST /wholesale/subscribers`` (``packages`` with the one package; ``package`` is
    deprecated)."""
    body: Body = {
        "customerId": customer_id,
        "email": user.email,
        "provisioningParameters": _subscriber_parameters(user, location_id, names=True),
    }
    if user.package:
        body["packages"] = [user.package]
    return body


def subscriber_update(
    user: User, *, location_id: str | None = None, calling_parameters: bool = False
) -> Body:
    """``PUT /wholesale/subscribers/{id}``: the package; number, extension and location only
    when moving from ``webex_meetings`` to a calling package (``calling_parameters``)."""
    body: Body = {"packages": [user.package]} if user.package else {}
    if calling_parameters:
        params = _subscriber_parameters(user, location_id, names=False)
        if params:
            body["provisioningParameters"] = params
    return body


def subscriber_precheck(
    user: User,
    *,
    customer_id: str | None,
    provisioning_id: str | None = None,
    location_id: str | None = None,
) -> Body:
    """``POST /wholesale/subscribers/validate`` for a planned create."""
    body: Body = {"email": user.email}
    if customer_id:
        body["customerId"] = customer_id
    if provisioning_id:
        body["provisioningId"] = provisioning_id
    if user.package:
        body["packages"] = [user.package]
    params = _subscriber_parameters(user, location_id, names=True)
    if params:
        body["provisioningParameters"] = params
    return body


def location_create(location: Location) -> Body:
    """``POST /locations?orgId=`` (``announcementLanguage`` is create-only)."""
    return _drop_none(
        {
            "name": location.name,
            "timeZone": location.time_zone,
            "preferredLanguage": location.preferred_language,
            "announcementLanguage": location.announcement_language or location.preferred_language,
            "address": location_address(location.address) if location.address else None,
        }
    )


#: The optional parts of a ``/locations`` address: an update sends each one the location does
#: not have as ``""``, since a PUT keeps the address parts its body leaves out (a line2 dropped
#: from the YAML, or from the customer address a location inherits, would stay live).
LOCATION_ADDRESS_CLEARED = {"address2": "", "state": "", "postalCode": ""}


def location_update(location: Location) -> Body:
    """``PUT /locations/{id}?orgId=`` (also how a rename is sent); an address is sent whole
    (see :data:`LOCATION_ADDRESS_CLEARED`)."""
    address = location.address
    return _drop_none(
        {
            "name": location.name,
            "timeZone": location.time_zone,
            "preferredLanguage": location.preferred_language,
            "address": LOCATION_ADDRESS_CLEARED | location_address(address) if address else None,
        }
    )


def display_name(user: User, current: Mapping[str, Any]) -> str:
    names = " ".join(n for n in (user.first_name, user.last_name) if n)
    fallback = current.get("displayName")
    if names:
        return names
    if isinstance(fallback, str) and fallback:
        return fallback
    return user.email


def login_enabled(value: Any) -> bool | None:
    """``loginEnabled`` as the PUT takes it (a boolean) from whatever the GET gave: the
    official GET schema answers the strings ``"true"``/``"false"``, the PUT schema wants a
    boolean. None for anything else (the field is then left out, never sent malformed)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def person_update(
    current: Mapping[str, Any],
    user: User,
    *,
    location_id: str | None,
    role_ids: Sequence[str],
) -> Body:
    """``PUT /people/{id}``: a full replacement built from the person as just read
    (``current``), with the fields the tool manages set from ``user``: names, the work number,
    the extension, the location (kept when ``location_id`` is None) and the roles.
    ``loginEnabled`` is carried over as a boolean (see :func:`login_enabled`)."""
    body: Body = {k: current[k] for k in PERSON_PUT_FIELDS if current.get(k) is not None}
    body["loginEnabled"] = login_enabled(current.get("loginEnabled"))
    body["firstName"] = user.first_name
    body["lastName"] = user.last_name
    body["displayName"] = display_name(user, current)
    body["phoneNumbers"] = (
        [{"type": "work", "value": user.phone_number}] if user.phone_number else []
    )
    body["extension"] = user.extension
    if location_id is not None:
        body["locationId"] = location_id
    body["roles"] = list(role_ids)
    return _drop_none(body)


def facts_of(change: Change, kind: type[F]) -> F:
    """The change's facts of the expected kind, or PlanError: a change read back from a plan
    file carries none (apply executes a fresh plan, never a file)."""
    if not isinstance(change.facts, kind):
        raise PlanError(f"{change.action} {change.address} carries no {kind.__name__}")
    return change.facts


def for_change(
    change: Change,
    *,
    action: Action | None = None,
    customer_id: str | None = None,
    location_id: str | None = None,
) -> Body:
    """The body of the write that makes ``change`` true (``action``: send it as this action
    instead, e.g. the PUT that retries a customer create, or the update of a headquarters that
    provisioning made): ``customer_id`` and ``location_id`` are the server IDs a subscriber
    body names. A delete has no body."""
    action = action or change.action
    if action == "delete":
        raise PlanError(f"{change.address}: a delete has no body")
    if change.kind == "customer":
        c = facts_of(change, CustomerFacts)
        if action == "update":
            return customer_update(c.customer, headquarters=c.headquarters)
        if not c.provisioning_id:
            raise PlanError(f"template {c.customer.template!r} has no provisioningId")
        return customer_create(
            c.customer, provisioning_id=c.provisioning_id, headquarters=c.headquarters
        )
    if change.kind == "location":
        location = facts_of(change, LocationFacts).location
        return location_create(location) if action == "create" else location_update(location)
    u = facts_of(change, UserFacts)
    if u.user is None:
        raise PlanError(f"{change.address}: no desired user")
    if action == "create":
        if customer_id is None:
            raise PlanError(f"{change.address}: a subscriber create needs its customer's ID")
        return subscriber_create(u.user, customer_id=customer_id, location_id=location_id)
    return subscriber_update(u.user, location_id=location_id, calling_parameters=u.adds_calling)


def precheck_for(
    change: Change,
    *,
    customer_id: str | None = None,
    provisioning_id: str | None = None,
    location_id: str | None = None,
) -> Body:
    """The ``/validate`` body for a planned customer or user create (``provisioning_id``: for
    a user whose customer is not live yet, its customer's template)."""
    if change.kind == "customer":
        c = facts_of(change, CustomerFacts)
        return customer_precheck(
            c.customer, provisioning_id=c.provisioning_id, headquarters=c.headquarters
        )
    user = facts_of(change, UserFacts).user
    if user is None or change.kind != "user":
        raise PlanError(f"{change.address}: no precheck for it")
    return subscriber_precheck(
        user, customer_id=customer_id, provisioning_id=provisioning_id, location_id=location_id
    )
