"""Checks beyond the schemas: single values (time zones, countries) and the package rules."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping

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


def customer_rules(
    customer: Customer,
    decl: Decl,
    locations: Mapping[tuple[str, str], Location],
    broken_locations: set[tuple[str, str]],
) -> list[Problem]:
    """Package dependencies and the headquarters of one present customer."""
    problems: list[Problem] = []
    packages = set(customer.packages)
    at = ("packages",) if "packages" in decl.data else ("template",)
    inherited = "" if "packages" in decl.data else f" (from template '{customer.template}')"
    for package, needs in PACKAGE_NEEDS.items():
        if package in packages and not packages & set(needs):
            problems.append(
                decl.problem(
                    f"package '{package}' needs one of: {', '.join(needs)}{inherited}", *at
                )
            )
    hq = customer.headquarters
    if hq is None:
        calling = sorted(packages & CALLING_CUSTOMER_PACKAGES)
        if calling:
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


def user_rules(user: User, decl: Decl, customer: Customer) -> list[Problem]:
    """Numbers for calling users; a full administrator holds one of the customer's packages."""
    problems: list[Problem] = []
    if user.package in CALLING_USER_PACKAGES and not (user.phone_number or user.extension):
        problems.append(
            decl.problem(
                f"user '{user.email}' has calling package '{user.package}' "
                "but neither phoneNumber nor extension",
                "email",
            )
        )
    if FULL_ADMIN_ROLE in user.roles and user.package not in customer.packages:
        problems.append(
            decl.problem(
                f"user '{user.email}' is a {FULL_ADMIN_ROLE} but package '{user.package}' is not "
                f"one of the customer's packages ({', '.join(customer.packages) or 'none'})",
                "package",
            )
        )
    return problems
