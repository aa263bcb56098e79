"""The Webex Calling routes of the sandbox fuzz (``sandbox_fuzz.py``): the operations, an estate
with calling locations, managed numbers, calling users and one job of each kind (so job IDs
and job errors are real), and bodies the calling writes accept, to be mutated."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import strategies as st

TEL = "/telephony/config"

#: (method, path template under /v1, spec)
OPERATIONS: list[tuple[str, str, str]] = [
    ("GET", f"{TEL}/locations", "calling"),
    ("POST", f"{TEL}/locations", "calling"),
    ("GET", f"{TEL}/locations/{{locationId}}", "calling"),
    ("GET", f"{TEL}/countries/{{countryCode}}", "calling"),
    ("GET", f"{TEL}/numbers", "calling"),
    ("POST", f"{TEL}/locations/{{locationId}}/numbers", "calling"),
    ("DELETE", f"{TEL}/locations/{{locationId}}/numbers", "calling"),
    ("POST", f"{TEL}/jobs/person/moveLocation", "calling"),
    ("GET", f"{TEL}/jobs/person/moveLocation", "calling"),
    ("GET", f"{TEL}/jobs/person/moveLocation/{{jobId}}", "calling"),
    ("GET", f"{TEL}/jobs/person/moveLocation/{{jobId}}/errors", "calling"),
    ("POST", f"{TEL}/jobs/locations/deleteCallingLocation", "calling"),
    ("GET", f"{TEL}/jobs/locations/deleteCallingLocation", "calling"),
    ("GET", f"{TEL}/jobs/locations/deleteCallingLocation/{{jobId}}", "calling"),
    ("GET", f"{TEL}/jobs/locations/deleteCallingLocation/{{jobId}}/errors", "calling"),
    ("POST", f"{TEL}/locations/{{locationId}}/actions/precheckForDeletion/invoke", "calling"),
]

COUNTRIES = ["US", "GB", "FR", "DE", "AU", "us", "ZZ", "USA"]


def customers(index: int) -> dict[str, Any]:
    """The seed of calling customer ``index``: HQ and Lab calling (Local Gateway numbers), a
    Depot that is not, and two calling users at HQ."""
    prefix = f"+1512555{index}"
    return {
        "externalId": f"fzc{index}",
        "adminEmail": f"admin@fzc{index}.example.com",
        "packages": ["webex_calling"],
        "address": {"addressLine1": "1 Main", "city": "Austin", "country": "US"},
        "locations": [
            {"name": "HQ", "calling": True, "numbers": [f"{prefix}{n:03d}" for n in range(4)]},
            {"name": "Lab", "calling": True, "numbers": [f"{prefix}{n:03d}" for n in range(4, 8)]},
            {"name": "Depot"},
        ],
        "subscribers": [
            {
                "email": f"c{j}@fzc{index}.example.com",
                "package": "webex_calling",
                "location": "HQ",
                "phoneNumber": f"{prefix}{j:03d}",
                "extension": f"10{j}",
            }
            for j in range(2)
        ],
    }


def org_ids(orgs: list[str], calling: list[str]) -> st.SearchStrategy[str]:
    """``orgId`` of a telephony request: mostly the first calling org (which holds the jobs),
    sometimes another calling org, or an org without calling, or one that does not exist."""
    return st.one_of(
        st.sampled_from(calling[:1]),
        st.sampled_from(calling[:1]),
        st.sampled_from(calling),
        st.sampled_from(orgs),
        st.text(min_size=1, max_size=12),
    )


def seed_jobs(client: httpx.Client, base: str) -> list[str]:
    """Start a move job (one that completes, one that fails) and a disable job (that fails:
    users at the location) in the first calling org; their IDs once the jobs settle."""
    dump = client.get(f"{base}/_sandbox/dump").json()
    (org,) = [c["orgId"] for c in dump["customers"] if c["externalId"] == "fzc0"]
    at = {loc["name"]: loc["id"] for loc in dump["locations"] if loc["orgId"] == org}
    users = [p["id"] for p in dump["people"] if p["orgId"] == org and p.get("extension")]
    move = f"{TEL}/jobs/person/moveLocation".lstrip("/")
    params = {"orgId": org}
    for user, number in ((users[0], None), (users[1], "+15125559999")):
        entry: dict[str, Any] = {"userId": user}
        if number:
            entry["phoneNumber"] = number  # in no inventory: the job fails on it
        body = {"usersList": [{"locationId": at["Lab"], "validate": False, "users": [entry]}]}
        client.post(move, params=params, json=body).raise_for_status()
    disable = f"{TEL}/jobs/locations/deleteCallingLocation".lstrip("/")
    client.post(disable, params=params, json={"locationId": at["HQ"]}).raise_for_status()
    return [j["id"] for j in client.get(f"{base}/_sandbox/dump").json()["jobs"]]


def valid_bodies(
    locations: list[str], people: list[str]
) -> dict[tuple[str, str], st.SearchStrategy[dict[str, Any]]]:
    """A body each calling write would accept (given the right location), to be mutated."""
    number = st.integers(0, 999).map(lambda n: f"+1737555{n:04d}")
    location = st.sampled_from(locations)
    return {
        ("POST", f"{TEL}/locations"): location.map(
            lambda loc: {
                "id": loc,
                "name": "HQ",
                "timeZone": "America/Chicago",
                "preferredLanguage": "en_us",
                "announcementLanguage": "en_us",
                "address": {
                    "address1": "1 Main",
                    "city": "Austin",
                    "state": "TX",
                    "postalCode": "78701",
                    "country": "US",
                },
            }
        ),
        ("POST", f"{TEL}/locations/{{locationId}}/numbers"): st.lists(
            number, min_size=1, max_size=3, unique=True
        ).map(lambda ns: {"phoneNumbers": ns}),
        ("DELETE", f"{TEL}/locations/{{locationId}}/numbers"): st.lists(
            number, min_size=1, max_size=5, unique=True
        ).map(lambda ns: {"phoneNumbers": ns}),
        ("POST", f"{TEL}/jobs/person/moveLocation"): st.tuples(
            location, st.sampled_from(people), st.booleans()
        ).map(
            lambda t: {
                "usersList": [{"locationId": t[0], "validate": t[2], "users": [{"userId": t[1]}]}]
            }
        ),
        ("POST", f"{TEL}/jobs/locations/deleteCallingLocation"): st.tuples(
            location, st.booleans()
        ).map(lambda t: {"locationId": t[0], "forceDelete": t[1]}),
    }
