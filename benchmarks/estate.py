"""A uniform benchmark estate, written twice from one description: as a desired-state directory
(YAML) and as ``POST /_sandbox/seed`` bodies, so that the sandbox matches the YAML exactly
except for the drift asked for.

Customer ``c`` (externalId ``bench-CCCCCC``) is a calling customer (calling and meetings
packages) with ``locations`` Webex Calling locations (the first is its headquarters) and its
share of the users; every other user is a calling user (an extension, a location and a work
number from the location's provider-supplied inventory, which also holds ``SPARE_NUMBERS``
unassigned numbers), the first is a Full Administrator. A drifted user differs live in one
person field (last name or extension), a drifted location in its preferred language: one
update each to converge (a location's update also has the plan read its country's
configuration, once for the estate: every location is in Germany).

Also the request counts of ``reconciler.live`` (its docstring formula, with the calling reads)
for such an estate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROVISIONING_ID = "prov-bench-calling"
TEMPLATES = f"""\
kind: Template
name: calling
provisioningId: {PROVISIONING_ID}
defaults: {{packages: [webex_calling, webex_meetings], language: en_US, country: DE,
  timeZone: Europe/Berlin}}
partnerHub: {{authentication: webex, country: DE}}
"""
FIRST = ("Ann", "Ben", "Chloe", "Dev", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jonas")
LAST = ("Lee", "Moreau", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka")

#: Page sizes the client asks for and the sandbox grants (customers: clamped to 100).
CUSTOMERS_PAGE = 100
SUBSCRIBERS_PAGE = 100
LOCATIONS_PAGE = 1000
PEOPLE_PAGE = 100
CALLING_LOCATIONS_PAGE = 1000
NUMBERS_PAGE = 2000
#: Customers in scope looked up one by one (``reconciler.live.SCOPED_LOOKUP_MAX``).
SCOPED_LOOKUP_MAX = 10
#: Unassigned numbers in each location's inventory besides its users'.
SPARE_NUMBERS = 2
#: The countries of the estate's locations (one configuration read when a location changes).
COUNTRIES = ("DE",)


@dataclass(frozen=True)
class Shape:
    """How big the estate is; ``first`` numbers its customers (new customers come after)."""

    customers: int
    locations: int
    users: int
    first: int = 0

    def users_of(self, c: int) -> int:
        """The users of customer number ``c`` (``first`` ≤ c < first + customers)."""
        i = c - self.first
        return self.users // self.customers + (1 if i < self.users % self.customers else 0)

    def numbers(self) -> range:
        return range(self.first, self.first + self.customers)


def external_id(c: int) -> str:
    return f"bench-{c:06d}"


def number(c: int, u: int) -> str:
    """The work number of user ``u`` of customer ``c`` (a Berlin number; spares from 9000)."""
    return f"+4930{c:04d}{u:04d}"


def _user(c: int, u: int, locations: int, numbers: bool = True) -> dict[str, Any]:
    ext = external_id(c)
    calling = u % 2 == 0
    user: dict[str, Any] = {
        "email": f"user{u}@{ext}.example.com",
        "firstName": FIRST[(c + u) % len(FIRST)],
        "lastName": LAST[(c * 7 + u) % len(LAST)],
        "package": "webex_calling" if calling else "webex_meetings",
    }
    if calling:
        user["extension"] = str(1000 + u)
        user["location"] = f"Site {u % locations}"
        if numbers:
            user["phoneNumber"] = number(c, u)
    if u == 0:
        user["roles"] = ["Full Administrator"]
    return user


def _customer_yaml(c: int, shape: Shape, numbers: bool) -> str:
    ext = external_id(c)
    q = json.dumps
    lines = [
        "kind: Customer",
        f"externalId: {ext}",
        f"name: {q(f'Bench Customer {c}')}",
        f"adminEmail: admin@{ext}.example.com",
        "template: calling",
        "language: en_US",
        "packages: [webex_calling, webex_meetings]",
        f"address: {{line1: {q(f'{c % 900 + 1} Hauptstraße')}, city: Berlin, "
        "state: Berlin, postalCode: '10115', country: DE}",
        "headquarters: Site 0",
        "locations:",
    ]
    lines += [
        f"  - {{name: Site {n}, timeZone: Europe/Berlin, preferredLanguage: en_us, "
        "announcementLanguage: en_us}"
        for n in range(shape.locations)
    ]
    users = [_user(c, u, shape.locations, numbers) for u in range(shape.users_of(c))]
    if users:
        lines.append("users:")
    for user in users:
        fields = [f"{k}: {q(v)}" for k, v in user.items()]
        lines.append(f"  - {fields[0]}")
        lines += [f"    {f}" for f in fields[1:]]
    return "\n".join(lines) + "\n"


def customer_file(directory: Path, c: int) -> Path:
    return Path(directory) / "customers" / f"{external_id(c)}.yaml"


def write_yaml(directory: Path, shape: Shape, settings: str = "", *, numbers: bool = True) -> None:
    """The desired-state directory (templates, settings, one file per customer); ``numbers``:
    whether calling users have work numbers (new customers have none: a provider supplies a
    new location's numbers later)."""
    directory = Path(directory)
    (directory / "customers").mkdir(parents=True, exist_ok=True)
    (directory / "templates.yaml").write_text(TEMPLATES, encoding="utf-8")
    if settings:
        (directory / "settings.yaml").write_text(settings, encoding="utf-8")
    for c in shape.numbers():
        text = _customer_yaml(c, shape, numbers)
        customer_file(directory, c).write_text(text, encoding="utf-8")


#: Location ``n`` drifts as user ``LOCATION_DRIFT + n`` would (a spread apart from the users').
LOCATION_DRIFT = 100_000


def drifted(c: int, u: int, share: float) -> bool:
    """Whether user ``u`` of customer ``c`` drifts: an even spread of ``share`` of users."""
    if share <= 0:
        return False
    step = 1 / share
    n = c * 100_003 + u  # spread over customers, deterministic
    return math.floor((n + 1) / step) > math.floor(n / step)


def seed_bodies(
    shape: Shape, drift: float, batch: int = 100
) -> Iterator[tuple[dict[str, Any], int]]:
    """Seed bodies of up to ``batch`` customers each, and how many users and locations each
    one drifts."""
    specs: list[dict[str, Any]] = []
    count = 0
    for c in shape.numbers():
        ext = external_id(c)
        subscribers = []
        for u in range(shape.users_of(c)):
            sub = _user(c, u, shape.locations)
            if drifted(c, u, drift):
                count += 1
                if "extension" in sub:
                    sub["extension"] = str(9000 + u)
                else:
                    sub["lastName"] = "Drifted"
            subscribers.append(sub)
        locations = []
        for n in range(shape.locations):
            moved = drifted(c, LOCATION_DRIFT + n, drift)
            count += moved
            locations.append(
                {
                    "name": f"Site {n}",
                    "timeZone": "Europe/Berlin",
                    "preferredLanguage": "de_de" if moved else "en_us",
                    "calling": True,
                    "numbers": [number(c, 9000 + 2 * n + i) for i in range(SPARE_NUMBERS)],
                }
            )
        specs.append(
            {
                "externalId": ext,
                "name": f"Bench Customer {c}",
                "adminEmail": f"admin@{ext}.example.com",
                "provisioningId": PROVISIONING_ID,
                "packages": ["webex_calling", "webex_meetings"],
                "address": {
                    "addressLine1": f"{c % 900 + 1} Hauptstraße",
                    "city": "Berlin",
                    "stateOrProvince": "Berlin",
                    "zipOrPostalCode": "10115",
                    "country": "DE",
                },
                "locations": locations,
                "subscribers": subscribers,
            }
        )
        if len(specs) == batch:
            yield {"customers": specs}, count
            specs, count = [], 0
    if specs:
        yield {"customers": specs}, count


# -- the request counts of reconciler.live ------------------------------------------------


def pages(n: int, size: int) -> int:
    """Offset paging: a short page ends the list."""
    return n // size + 1


def links(n: int, size: int) -> int:
    """``Link`` paging: no request past the last page."""
    return max(1, math.ceil(n / size))


def _per_org(shape: Shape, c: int) -> int:
    people = shape.users_of(c) + 1  # and the administrator the org was created with
    return links(shape.locations, LOCATIONS_PAGE) + links(people, PEOPLE_PAGE)


def _calling_per_org(shape: Shape, c: int) -> int:
    """The calling-locations list and the number inventory of a calling org."""
    calling_users = (shape.users_of(c) + 1) // 2
    numbers = calling_users + SPARE_NUMBERS * shape.locations
    return links(shape.locations, CALLING_LOCATIONS_PAGE) + links(numbers, NUMBERS_PAGE)


def drifted_locations(shape: Shape, drift: float) -> int:
    return sum(
        drifted(c, LOCATION_DRIFT + n, drift)
        for c in shape.numbers()
        for n in range(shape.locations)
    )


def country_reads(shape: Shape, drift: float) -> int:
    """One configuration per distinct country a planned location change is in."""
    return len(COUNTRIES) if drifted_locations(shape, drift) else 0


def calling_read_requests(shape: Shape, numbers: list[int] | None = None) -> int:
    """The calling reads of the customers ``numbers`` (all when None), each with an org."""
    chosen = shape.numbers() if numbers is None else numbers
    return sum(_calling_per_org(shape, c) for c in chosen)


def full_read_requests(shape: Shape) -> int:
    """A full live read of the estate, every customer with an org."""
    n = shape.customers
    if not n:
        return pages(0, CUSTOMERS_PAGE)
    listing = pages(n, CUSTOMERS_PAGE) + (1 if n < CUSTOMERS_PAGE else 0)
    subscribers = pages(shape.users, SUBSCRIBERS_PAGE)
    # + one GET /roles and one GET /organizations
    return listing + sum(_per_org(shape, c) for c in shape.numbers()) + subscribers + 2


def scoped_read_requests(shape: Shape, numbers: list[int], *, live: bool = True) -> int:
    """A read scoped to customers ``numbers`` (at most ``SCOPED_LOOKUP_MAX``); ``live``:
    whether they exist (else only the lookups are sent)."""
    assert len(numbers) <= SCOPED_LOOKUP_MAX
    if not live:
        return len(numbers)
    per = sum(pages(shape.users_of(c), SUBSCRIBERS_PAGE) + _per_org(shape, c) for c in numbers)
    return len(numbers) + per + (2 if numbers else 0)  # + /roles, /organizations
