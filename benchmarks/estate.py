"""A uniform benchmark estate, written twice from one description: as a desired-state directory
(YAML) and as ``POST /_sandbox/seed`` bodies, so that the sandbox matches the YAML exactly
except for the drift asked for.

Customer ``c`` (externalId ``bench-CCCCCC``) holds ``locations`` locations (the first is its
headquarters) and its share of the users; every other user is a calling user (an extension
and a location), the first is a Full Administrator. A drifted user differs live in one person
field (last name or extension): one person update each to converge.

Also the request counts of ``reconciler.live`` (its docstring formula) for such an estate.
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
#: Customers in scope looked up one by one (``reconciler.live.SCOPED_LOOKUP_MAX``).
SCOPED_LOOKUP_MAX = 10


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


def _user(c: int, u: int, locations: int) -> dict[str, Any]:
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
    if u == 0:
        user["roles"] = ["Full Administrator"]
    return user


def _customer_yaml(c: int, shape: Shape) -> str:
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
    users = [_user(c, u, shape.locations) for u in range(shape.users_of(c))]
    if users:
        lines.append("users:")
    for user in users:
        fields = [f"{k}: {q(v)}" for k, v in user.items()]
        lines.append(f"  - {fields[0]}")
        lines += [f"    {f}" for f in fields[1:]]
    return "\n".join(lines) + "\n"


def customer_file(directory: Path, c: int) -> Path:
    return Path(directory) / "customers" / f"{external_id(c)}.yaml"


def write_yaml(directory: Path, shape: Shape, settings: str = "") -> None:
    """The desired-state directory (templates, settings, one file per customer)."""
    directory = Path(directory)
    (directory / "customers").mkdir(parents=True, exist_ok=True)
    (directory / "templates.yaml").write_text(TEMPLATES, encoding="utf-8")
    if settings:
        (directory / "settings.yaml").write_text(settings, encoding="utf-8")
    for c in shape.numbers():
        customer_file(directory, c).write_text(_customer_yaml(c, shape), encoding="utf-8")


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
    """Seed bodies of up to ``batch`` customers each, and how many users each one drifts."""
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
                "locations": [
                    {
                        "name": f"Site {n}",
                        "timeZone": "Europe/Berlin",
                        "preferredLanguage": "en_us",
                        "calling": True,
                    }
                    for n in range(shape.locations)
                ],
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
