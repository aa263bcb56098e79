"""Checks beyond the schemas: single values (time zones, countries, languages), the package
rules, and the rules Partner Hub enforces across objects (numbers, location names)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import Problem
from reconciler.model import (
    CALLING_CUSTOMER_PACKAGES,
    CALLING_USER_PACKAGES,
    FULL_ADMIN_ROLE,
    Customer,
    Location,
    User,
)

from .build import Decl
from .countries import COUNTRY_CODES
from .schemas import did_you_mean

#: package → the packages of which the customer must also hold at least one.
PACKAGE_NEEDS: Mapping[str, tuple[str, ...]] = {
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


@dataclass(frozen=True, slots=True)
class Known:
    """What is known of a resolved customer, for the rules that depend on it."""

    customer: Customer
    decl: Decl
    #: Its package set is what it says (not lost to a schema problem or an unknown template).
    packages: bool
    #: Its ``headquarters`` passed the schema.
    headquarters: bool
    #: Its ``state`` passed the schema: the rules of a present customer apply.
    state: bool
    #: Built around a value that failed (a missing or unusable address): kept out of the state.
    partial: bool
    #: The template's defaults that cannot be known (all of them when the template is unknown).
    gaps: frozenset[str]

    @property
    def present(self) -> bool:
        return self.state and self.customer.state == "present"


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str) -> str | None:
    """A message if ``name`` is not an IANA time zone."""
    if name in _time_zones():
        return None
    return f"unknown time zone '{name}'{did_you_mean(name, _time_zones(), cutoff=0.85)}"


def check_country(code: str) -> str | None:
    """A message if ``code`` is not an ISO 3166-1 alpha-2 country code."""
    if code in COUNTRY_CODES:
        return None
    return f"unknown country code '{code}' (ISO 3166-1 alpha-2, e.g. US, GB, DE)"


def check_language(code: str) -> str | None:
    """A message for a language code Partner Hub refuses (``fr-CA``: it takes ``fr_CA``)."""
    if "-" not in code:
        return None
    return (
        f"language '{code}' must be written '{code.replace('-', '_')}' "
        "(Partner Hub takes {ISO-639-1}_{ISO-3166} or {ISO-639-1})"
    )


def customer_rules(
    owner: Known,
    locations: Mapping[tuple[str, str], Location],
    broken_locations: set[tuple[str, str]],
) -> list[Problem]:
    """Package dependencies and the headquarters of one present customer."""
    problems: list[Problem] = []
    customer, decl = owner.customer, owner.decl
    packages = set(customer.packages)
    at = ("packages",) if "packages" in decl.data else ("template",)
    inherited = "" if "packages" in decl.data else f" (from template '{customer.template}')"
    if owner.packages and not packages:
        problems.append(
            decl.problem(
                f"customer '{customer.external_id}' has no packages{inherited}: "
                "Partner Hub needs at least one",
                *at,
            )
        )
    if owner.packages:
        for package, needs in PACKAGE_NEEDS.items():
            if package in packages and not packages & set(needs):
                problems.append(
                    decl.problem(
                        f"package '{package}' needs one of: {', '.join(needs)}{inherited}", *at
                    )
                )
    hq = customer.headquarters
    if not owner.headquarters:
        return problems
    if hq is None:
        calling = sorted(packages & CALLING_CUSTOMER_PACKAGES)
        if calling and owner.packages:
            problems.append(
                decl.problem(
                    f"customer '{customer.external_id}' has calling package(s) "
                    f"{', '.join(calling)}{inherited} but no 'headquarters'",
                    "externalId",
                )
            )
        return problems
    location = locations.get((customer.external_id, hq))
    if location is None:
        if (customer.external_id, hq) not in broken_locations:
            names = [name for ext, name in locations if ext == customer.external_id]
            problems.append(
                decl.problem(
                    f"headquarters '{hq}' is not a location of customer "
                    f"'{customer.external_id}'{did_you_mean(hq, names)}",
                    "headquarters",
                )
            )
    elif location.state == "absent":
        problems.append(
            decl.problem(f"headquarters '{hq}' is a location marked absent", "headquarters")
        )
    return problems


def rename_rules(
    locations: Mapping[tuple[str, str], Location], decls: Mapping[tuple[str, str], Decl]
) -> list[Problem]:
    """A location's earlier name is no current location's name, nor another's earlier name."""
    problems: list[Problem] = []
    claimed: dict[tuple[str, str], str] = {}
    for key, location in sorted(locations.items()):
        for old in location.previously:
            if (location.customer, old) in locations:
                problems.append(
                    decls[key].problem(
                        f"previously '{old}' is also the name of a current location", "previously"
                    )
                )
            elif (location.customer, old) in claimed:
                problems.append(
                    decls[key].problem(
                        f"previously '{old}' is also claimed by location "
                        f"'{claimed[(location.customer, old)]}'",
                        "previously",
                    )
                )
            else:
                claimed[(location.customer, old)] = location.name
    return problems


def user_rules(user: User, decl: Decl, owner: Known) -> list[Problem]:
    """Numbers for calling users; a user's package is one of its customer's packages.

    A rule is skipped when a value it needs failed its schema (already reported).
    """
    problems: list[Problem] = []
    customer = owner.customer
    package = user.package
    if package is None:  # missing (reported by the schema) or unreadable
        return problems
    numbers_read = decl.ok("phoneNumber") and decl.ok("extension")
    if package not in CALLING_USER_PACKAGES:
        problems.extend(_calling_only(user, decl, package))
    if (
        package in CALLING_USER_PACKAGES
        and numbers_read
        and not (user.phone_number or user.extension)
    ):
        problems.append(
            decl.problem(
                f"user '{user.email}' has calling package '{package}' "
                "but neither phoneNumber nor extension",
                "email",
            )
        )
    if owner.packages and package not in customer.packages:
        held = ", ".join(customer.packages) or "none"
        if FULL_ADMIN_ROLE in user.roles:
            message = (
                f"user '{user.email}' is a {FULL_ADMIN_ROLE} but package '{package}' is not "
                f"one of the customer's packages ({held})"
            )
        else:
            message = (
                f"user '{user.email}' has package '{package}', which customer "
                f"'{customer.external_id}' does not hold ({held}); Partner Hub refuses it"
            )
        problems.append(decl.problem(message, "package"))
    return problems


def _calling_only(user: User, decl: Decl, package: str) -> list[Problem]:
    """``location``, ``phoneNumber`` and ``extension`` of a user without a calling package:
    Webex sets a person's ``locationId`` only when assigning a calling licence, and its work
    number and extension need one (People API, PUT /people); the wholesale subscriber takes
    them only with a calling package. Sent anyway, they would be ignored or refused."""
    declared = {
        "location": user.location,
        "phoneNumber": user.phone_number,
        "extension": user.extension,
    }
    return [
        decl.problem(
            f"user '{user.email}' has {field} but package '{package}' has no calling: Webex "
            "sets it only for a user with a calling licence; remove it, or give the user a "
            "calling package",
            field,
        )
        for field, value in declared.items()
        if value is not None and decl.ok(field)
    ]


def location_name_rules(decls: Mapping[tuple[str, str], Decl]) -> list[Problem]:
    """Location names of one customer differ in more than case (Partner Hub ignores case)."""
    problems: list[Problem] = []
    first: dict[tuple[str, str], tuple[str, Decl]] = {}
    for (ext, name), decl in decls.items():  # in declaration (file) order
        key = (ext, name.lower())
        if key in first:
            other, where = first[key][0], first[key][1].where("name")
            problems.append(
                decl.problem(
                    f"location '{name}' of customer '{ext}' differs only in case from "
                    f"'{other}' at {where}: Partner Hub takes them for one name",
                    "name",
                )
            )
        else:
            first[key] = (name, decl)
    return problems


def number_rules(
    users: Mapping[tuple[str, str], User], decls: Mapping[tuple[str, str], Decl]
) -> list[Problem]:
    """Calling users: a phone number belongs to one user in all of Partner Hub, an extension to
    one user per location (Partner Hub answers 409 to the second)."""
    problems: list[Problem] = []
    phones: dict[str, Decl] = {}
    extensions: dict[tuple[str, str | None, str], Decl] = {}
    for key, user in users.items():  # in declaration (file) order
        if user.state != "present" or user.package not in CALLING_USER_PACKAGES:
            continue
        decl = decls[key]
        if user.phone_number and decl.ok("phoneNumber"):
            if user.phone_number in phones:
                problems.append(
                    decl.problem(
                        f"phoneNumber {user.phone_number} is also the number of the user at "
                        f"{phones[user.phone_number].where('phoneNumber')}",
                        "phoneNumber",
                    )
                )
            else:
                phones[user.phone_number] = decl
        if user.extension and decl.ok("extension"):
            slot = (user.customer, user.location, user.extension)
            if slot in extensions:
                problems.append(
                    decl.problem(
                        f"extension {user.extension} is also the extension of the user at "
                        f"{extensions[slot].where('extension')} (same location)",
                        "extension",
                    )
                )
            else:
                extensions[slot] = decl
    return problems


def email_rules(
    users: Mapping[tuple[str, str], User], decls: Mapping[tuple[str, str], Decl]
) -> list[Problem]:
    """An email belongs to one Webex organization: a user present under two customers is
    refused by Partner Hub for the second ("The email is already associated with an existing
    user")."""
    problems: list[Problem] = []
    first: dict[str, tuple[str, Decl]] = {}
    for (ext, email), user in users.items():  # in declaration (file) order
        if user.state != "present":
            continue
        decl = decls[(ext, email)]
        if email in first and first[email][0] != ext:
            other, where = first[email][0], first[email][1].where("email")
            problems.append(
                decl.problem(
                    f"user '{email}' is also a user of customer '{other}' at {where}: an email "
                    "belongs to one Webex organization",
                    "email",
                )
            )
        else:
            first.setdefault(email, (ext, decl))
    return problems
