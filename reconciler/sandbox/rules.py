"""Synchronous request validation (the 400s), one function per request body.

Each returns every problem found, as the descriptions of one 400 answer.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.sandbox.config import CUSTOMER_PACKAGES, SUBSCRIBER_PACKAGES, SandboxConfig

#: the deprecated single ``package`` field has a shorter enum
SUBSCRIBER_PACKAGE_SINGLE = SUBSCRIBER_PACKAGES[:6]
#: "X is dependent on: …" — at least one of them must be present (INFERRED any-of reading)
DEPENDENCIES = {
    "cisco_calling_plan": (
        "common_area_calling",
        "webex_calling",
        "webex_suite",
        "webex_voice",
        "cx_essentials",
        "webex_calling_standard",
    ),
    "attendant_console": ("webex_calling", "webex_suite", "cx_essentials"),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EXTENSION = re.compile(r"^\d{2,10}$")
LANGUAGE = re.compile(r"^[a-z]{2}(_[a-zA-Z]{2})?$")
MAX_LINE = 50

Problems = list[str]


def _string(obj: dict[str, Any], key: str, path: str, problems: Problems, *, required: bool) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{path}{key} is required.")
        return ""
    if not isinstance(value, str):
        problems.append(f"{path}{key} must be a string.")
        return ""
    if required and not value.strip():
        problems.append(f"{path}{key} must not be empty.")
    return value


def _object(
    obj: dict[str, Any], key: str, path: str, problems: Problems, *, required: bool
) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{path}{key} is required.")
        return None
    if not isinstance(value, dict):
        problems.append(f"{path}{key} must be an object.")
        return None
    return value


def customer_address(
    obj: dict[str, Any], key: str, path: str, problems: Problems, *, required: bool
) -> dict[str, Any] | None:
    """The wholesale address: addressLine1, city, country required; lines ≤ 50; ISO2 country."""
    address = _object(obj, key, path, problems, required=required)
    if address is None:
        return None
    where = f"{path}{key}."
    for line in ("addressLine1", "addressLine2"):
        value = _string(address, line, where, problems, required=line == "addressLine1")
        if len(value) > MAX_LINE:
            problems.append(f"{where}{line} exceeds the {MAX_LINE} character limit.")
    _string(address, "city", where, problems, required=True)
    for opt in ("stateOrProvince", "zipOrPostalCode"):
        _string(address, opt, where, problems, required=False)
    country = _string(address, "country", where, problems, required=True)
    if country and not re.fullmatch(r"[A-Za-z]{2}", country):
        problems.append(f"{where}country must be an ISO2 country code, 2 characters.")
    return address


def packages_list(
    obj: dict[str, Any],
    key: str,
    path: str,
    problems: Problems,
    *,
    allowed: tuple[str, ...],
    required: bool,
) -> list[str] | None:
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{path}{key} is required.")
        return None
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        problems.append(f"{path}{key} must be a list of package names.")
        return None
    unknown = [p for p in value if p not in allowed]
    for name in unknown:
        problems.append(f"{path}{key}: unknown package '{name}'.")
    return [p for p in dict.fromkeys(value) if p in allowed]


def dependency_problems(packages: list[str]) -> Problems:
    problems: Problems = []
    for package, needs in DEPENDENCIES.items():
        if package in packages and not any(n in packages for n in needs):
            problems.append(f"{package} is dependent on: {', '.join(needs)}.")
    return problems


def calling_location(params: dict[str, Any] | None, problems: Problems) -> dict[str, Any] | None:
    if params is None:
        return None
    calling = _object(params, "calling", "provisioningParameters.", problems, required=False)
    meetings = _object(params, "meetings", "provisioningParameters.", problems, required=False)
    if meetings is not None:
        _string(meetings, "timezone", "provisioningParameters.meetings.", problems, required=False)
    if calling is None:
        return None
    where = "provisioningParameters.calling."
    location = _object(calling, "location", where, problems, required=True)
    if location is None:
        return None
    where += "location."
    name = _string(location, "name", where, problems, required=True)
    if len(name) > 80:
        problems.append(f"{where}name of a calling location has at most 80 characters.")
    customer_address(location, "address", where, problems, required=True)
    _string(location, "timezone", where, problems, required=True)
    language = _string(location, "language", where, problems, required=True)
    if language and not LANGUAGE.match(language):
        problems.append(f"{where}language must look like en_us.")
    _string(location, "emergencyLocationIdentifier", where, problems, required=False)
    return location


def customer_body(
    body: dict[str, Any], cfg: SandboxConfig, *, mode: str
) -> tuple[Problems, list[str] | None, dict[str, Any] | None]:
    """Validate a customer provision (``post``), update (``put``) or precheck body.

    Returns the problems, the package set and the calling location (when sent).
    """
    problems: Problems = []
    post = mode == "post"
    if post or "provisioningId" in body:
        _string(body, "provisioningId", "", problems, required=post)
    packages = packages_list(
        body, "packages", "", problems, allowed=CUSTOMER_PACKAGES, required=mode != "precheck"
    )
    if packages is not None:
        if not packages and mode != "precheck" and not any("packages:" in p for p in problems):
            problems.append("packages must name at least one package.")
        problems += dependency_problems(packages)
    if post or "externalId" in body:
        _string(body, "externalId", "", problems, required=post)
    customer_address(body, "address", "", problems, required=mode != "put")
    org_id = _string(body, "orgId", "", problems, required=False) if mode != "put" else ""
    if mode != "put":
        info = _object(body, "customerInfo", "", problems, required=post and not org_id)
        if info is not None:
            name = _string(info, "name", "customerInfo.", problems, required=post)
            if "%" in name:
                problems.append("customerInfo.name cannot include the % character.")
            email = _string(info, "primaryEmail", "customerInfo.", problems, required=True)
            if email and not EMAIL.match(email):
                problems.append("customerInfo.primaryEmail is not a valid email address.")
            language = _string(info, "language", "customerInfo.", problems, required=False)
            if language and not LANGUAGE.match(language):
                problems.append(
                    "customerInfo.language must be {ISO-639-1}_{ISO-3166} or {ISO-639-1}."
                )
    params = _object(body, "provisioningParameters", "", problems, required=False)
    location = calling_location(params, problems)
    calling = packages and set(packages) & cfg.calling_customer_packages
    if mode != "put" and calling and location is None:
        problems.append(
            "provisioningParameters.calling is mandatory when provisioning calling packages."
        )
    _string(body, "subPartnerAdminEmail", "", problems, required=False)
    return problems, packages, location


def subscriber_packages(body: dict[str, Any], problems: Problems, *, required: bool) -> str | None:
    """The one package of a subscriber body (``package`` xor a one-element ``packages``)."""
    has_single, has_list = "package" in body, "packages" in body
    if has_single and has_list:
        problems.append("Either packages or package field is required but not both.")
        return None
    if not has_single and not has_list:
        if required:
            problems.append("Either packages or package field is required.")
        return None
    if has_single:
        value = body["package"]
        if not isinstance(value, str) or value not in SUBSCRIBER_PACKAGES:
            problems.append(f"package: unknown package '{value}'.")
            return None
        return value
    packages = packages_list(
        body, "packages", "", problems, allowed=SUBSCRIBER_PACKAGES, required=True
    )
    if packages is None or len(body["packages"]) != 1:
        if packages is not None:
            problems.append("packages currently accepts exactly one package.")
        return None
    return packages[0] if packages else None


def subscriber_params(
    body: dict[str, Any], problems: Problems, *, required: bool
) -> dict[str, Any]:
    params = _object(body, "provisioningParameters", "", problems, required=required) or {}
    where = "provisioningParameters."
    for key in ("firstName", "lastName", "locationId"):
        _string(params, key, where, problems, required=False)
    phone = _string(params, "primaryPhoneNumber", where, problems, required=False)
    if phone and not E164.match(phone):
        problems.append(f"{where}primaryPhoneNumber must be an E.164 number.")
    extension = _string(params, "extension", where, problems, required=False)
    if extension and not EXTENSION.match(extension):
        problems.append(f"{where}extension must be 2 to 10 digits.")
    return params


def subscriber_body(
    body: dict[str, Any], *, mode: str
) -> tuple[Problems, str | None, dict[str, Any]]:
    """Validate a subscriber provision (``post``), update (``put``) or ``precheck`` body."""
    problems: Problems = []
    if mode != "put":
        _string(body, "customerId", "", problems, required=mode == "post")
        email = _string(body, "email", "", problems, required=True)
        if email and not EMAIL.match(email):
            problems.append("email is not a valid email address.")
    package = subscriber_packages(body, problems, required=mode == "post")
    params = subscriber_params(body, problems, required=mode == "post")
    return problems, package, params


def location_body(
    body: dict[str, Any], *, create: bool, optional: frozenset[str] = frozenset()
) -> Problems:
    """``optional``: address fields a create may leave out (its country does not require them)."""
    problems: Problems = []
    name = _string(body, "name", "", problems, required=create)
    if len(name) > 256:
        problems.append("name has at most 256 characters.")
    for key in ("timeZone", "preferredLanguage"):
        _string(body, key, "", problems, required=create)
    if create:
        _string(body, "announcementLanguage", "", problems, required=True)
        for key in ("latitude", "longitude", "notes"):
            _string(body, key, "", problems, required=False)
    address = _object(body, "address", "", problems, required=create)
    if address is not None:
        for key in ("address1", "address2", "city", "state", "postalCode", "country"):
            needed = create and key != "address2" and key not in optional
            _string(address, key, "address.", problems, required=needed)
        country = address.get("country")
        if isinstance(country, str) and not re.fullmatch(r"[A-Za-z]{2}", country):
            problems.append("address.country must be an ISO-3166 2-letter country code.")
    return problems


PERSON_STRINGS = (
    "extension",
    "locationId",
    "displayName",
    "firstName",
    "lastName",
    "nickName",
    "avatar",
    "orgId",
    "department",
    "manager",
    "managerId",
    "title",
)


def person_body(body: dict[str, Any]) -> Problems:
    problems: Problems = []
    _string(body, "displayName", "", problems, required=True)
    for key in PERSON_STRINGS:
        if key != "displayName":
            _string(body, key, "", problems, required=False)
    for key in ("emails", "roles", "licenses", "siteUrls"):
        value = body.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            problems.append(f"{key} must be a list of strings.")
    emails = body.get("emails")
    if isinstance(emails, list) and emails and not all(EMAIL.match(str(e)) for e in emails):
        problems.append("emails must hold valid email addresses.")
    phones = body.get("phoneNumbers")
    if phones is not None and (
        not isinstance(phones, list)
        or not all(isinstance(p, dict) and isinstance(p.get("value"), str) for p in phones)
    ):
        problems.append("phoneNumbers must be a list of {type, value}.")
    addresses = body.get("addresses")
    if addresses is not None and (
        not isinstance(addresses, list) or not all(isinstance(a, dict) for a in addresses)
    ):
        problems.append("addresses must be a list of objects.")
    login = body.get("loginEnabled")
    if login is not None and not isinstance(login, bool):
        problems.append("loginEnabled must be a boolean.")
    return problems
