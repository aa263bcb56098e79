"""Calling fields of locations: ``calling`` and ``numbers``, resolved and checked.

- ``calling`` defaults to whether the customer holds a calling package;
- ``numbers`` (E.164, unique per location by the schema) belong to one location of the
  estate; a present user's ``phoneNumber`` must be one of its location's numbers when that
  location declares ``numbers``; a calling user cannot be placed at a location declared
  ``calling: false``.

Plan and apply act on both: calling is enabled at (or disabled from) a location, and a
location's declared numbers are added to or removed from its inventory
(:mod:`reconciler.planner.calling`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from reconciler.errors import Problem
from reconciler.model import CALLING_USER_PACKAGES, Customer, Location, User, has_calling

from .build import Decl


def with_calling(
    locations: Mapping[tuple[str, str], Location],
    decls: Mapping[tuple[str, str], Decl],
    customers: Mapping[str, Customer],
) -> dict[tuple[str, str], Location]:
    """Each location with ``calling`` and ``numbers`` resolved from its declaration."""
    out: dict[tuple[str, str], Location] = {}
    for key, location in locations.items():
        data = decls[key].data
        customer = customers.get(location.customer)
        default = has_calling(customer.packages) if customer is not None else False
        numbers = data.get("numbers")
        out[key] = dataclasses.replace(
            location,
            calling=bool(data.get("calling", default)),
            numbers=tuple(sorted(numbers)) if isinstance(numbers, list) else None,
        )
    return out


def calling_rules(
    locations: Mapping[tuple[str, str], Location],
    location_decls: Mapping[tuple[str, str], Decl],
    users: Mapping[tuple[str, str], User],
    user_decls: Mapping[tuple[str, str], Decl],
) -> list[Problem]:
    """Every calling problem of the estate, each at its object's FILE:LINE."""
    problems: list[Problem] = []
    holder: dict[str, tuple[str, str]] = {}
    for key in sorted(locations):
        location = locations[key]
        if location.state != "present":
            continue
        for number in location.numbers or ():
            first = holder.setdefault(number, key)
            if first != key:
                problems.append(
                    location_decls[key].problem(
                        f"number {number} is also a number of location '{first[1]}' of "
                        f"customer '{first[0]}'",
                        "numbers",
                    )
                )
    for key in sorted(users):
        user = users[key]
        place = locations.get((user.customer, user.location or ""))
        if user.state != "present" or place is None or place.state != "present":
            continue
        decl = user_decls[key]
        # only an explicit ``calling: false``: a default false (no calling package on the
        # customer) is the package rules' to report
        explicit = location_decls[(user.customer, place.name)].data.get("calling")
        if user.package in CALLING_USER_PACKAGES and explicit is False:
            problems.append(
                decl.problem(
                    f"user '{user.email}' has calling package '{user.package}' but location "
                    f"'{place.name}' has calling: false",
                    "location" if "location" in decl.data else "package",
                )
            )
        numbers = place.numbers
        if numbers is not None and user.phone_number and user.phone_number not in numbers:
            problems.append(
                decl.problem(
                    f"phoneNumber {user.phone_number} is not one of the numbers of "
                    f"location '{place.name}' ({', '.join(numbers) or 'none'})",
                    "phoneNumber",
                )
            )
    return problems
