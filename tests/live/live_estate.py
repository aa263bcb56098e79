"""Seeded sandbox estates and the request-count formula of ``reconciler.live``."""

from __future__ import annotations

import math
from typing import Any

from reconciler.sandbox import SandboxConfig
from reconciler.workflow.connect import SandboxTarget

#: Page sizes: the sandbox clamps customers to 100 (undocumented in Partner Hub); the client
#: asks for the largest page each endpoint documents.
CUSTOMERS_PAGE = 100
SUBSCRIBERS_PAGE = 100
LOCATIONS_PAGE = 1000
PEOPLE_PAGE = 100


def estate(customers: int, locations: int, users: int, *, prefix: str = "cust") -> dict[str, Any]:
    """``customers`` provisioned customers, each with ``locations`` locations, ``users``
    subscribers (mixed-case emails, one Full Administrator) and an admin person."""
    specs = []
    for c in range(customers):
        ext = f"{prefix}-{c:05d}"
        locs = [
            {
                "name": f"Site {n}",
                "timeZone": "Europe/Berlin",
                "address": {
                    "address1": f"{n} Main St",
                    "city": "Berlin",
                    "state": "",
                    "postalCode": "10115",
                    "country": "de",
                },
            }
            for n in range(locations)
        ]
        subs = [
            {
                "email": f"User{u}@{ext}.Example.com",
                "package": "webex_calling" if u % 2 else "webex_meetings",
                "firstName": f"First{u}",
                "lastName": f"Last{u}",
                **({"extension": f"{1000 + u}"} if u % 2 else {}),
                **({"phoneNumber": f"+4930{u:07d}"} if u % 4 == 1 else {}),
                **({"location": f"Site {u % locations}"} if locations and u % 2 else {}),
                **({"roles": ["Full Administrator"]} if u == 0 else {}),
            }
            for u in range(users)
        ]
        specs.append(
            {
                "externalId": ext,
                "name": f"Customer {c}",
                "adminEmail": f"admin@{ext}.example.com",
                "packages": ["webex_meetings", "webex_calling"],
                "address": {"addressLine1": f"{c} Customer Way", "city": "Berlin", "country": "DE"},
                "locations": locs,
                "subscribers": subs,
            }
        )
    return {"customers": specs}


def pages(n: int, size: int) -> int:
    """Offset paging: a short page ends the list."""
    return n // size + 1


def links(n: int, size: int) -> int:
    """``Link`` paging: no request past the last page."""
    return max(1, math.ceil(n / size))


def full_read_requests(customers: int, locations: int, users: int, roles: bool = False) -> int:
    """The docstring formula of ``reconciler.live`` for a seeded uniform estate (``roles``: a
    user in scope declares roles)."""
    customer_requests = pages(customers, CUSTOMERS_PAGE) + (
        1 if 0 < customers < CUSTOMERS_PAGE else 0
    )
    people = users + 1  # the subscribers and the admin Partner Hub creates
    per_org = links(locations, LOCATIONS_PAGE) + links(people, PEOPLE_PAGE)
    # subscribers all at once, one GET /roles and one GET /organizations, once any customer
    # has an org
    rest = pages(customers * users, SUBSCRIBERS_PAGE) + 2 if customers else int(roles)
    return customer_requests + customers * per_org + rest


def scoped_read_requests(k: int, locations: int, users: int) -> int:
    people = users + 1
    per_customer = 1 + pages(users, SUBSCRIBERS_PAGE) + links(locations, LOCATIONS_PAGE)
    per_customer += links(people, PEOPLE_PAGE)
    return k * per_customer + (2 if k else 0)  # GET /roles and GET /organizations


def sandbox(db: str, **overrides: Any) -> SandboxTarget:
    return SandboxTarget(db=db, config=SandboxConfig(db=db, **overrides))


def calling_estate(customers: int, locations: int, numbers: int) -> dict[str, Any]:
    """``customers`` calling customers, each with ``locations`` calling locations holding
    ``numbers`` provider numbers each, a plain location, and a meetings-only customer."""
    specs: list[dict[str, Any]] = []
    for c in range(customers):
        ext = f"call-{c:05d}"
        locs: list[dict[str, Any]] = [
            {
                "name": f"Site {n}",
                "calling": True,
                "numbers": [f"+1{c + 200:03d}{n:03d}{k:04d}" for k in range(numbers)],
            }
            for n in range(locations)
        ]
        locs.append({"name": "Plain"})
        specs.append(
            {
                "externalId": ext,
                "packages": ["webex_calling"],
                "address": {"addressLine1": "1 Way", "city": "Austin", "country": "US"},
                "locations": locs,
            }
        )
    specs.append(
        {
            "externalId": "meet-only",
            "packages": ["webex_meetings"],
            "address": {"addressLine1": "1 Way", "city": "Berlin", "country": "DE"},
            "locations": [{"name": "Office"}],
        }
    )
    return {"customers": specs}


def calling_read_requests(
    customers: int, locations: int, numbers: int, countries: int, *, numbers_page: int = 2000
) -> int:
    """The calling-read formula of ``reconciler.live`` for :func:`calling_estate`."""
    per_org = links(locations, 1000) + links(locations * numbers, numbers_page)
    return customers * per_org + countries
