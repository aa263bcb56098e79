"""Generate a large, valid desired-state directory (default 2,000 customers / 100,000 users).

Importable by other benchmarks::

    from gen_estate import generate
    counts = generate(Path("/tmp/estate"), customers=2000, users=100000, seed=0)

Or run: ``python tests/bench/gen_estate.py DIR [--customers N] [--users N] [--seed N]``.

Shape: three templates; one file per customer with its locations (1 to 3) and users nested;
every tenth customer keeps its users in a file of their own (separate ``User`` documents); every
tenth is meetings-only. Calling users alternate ``webex_calling`` / ``webex_meetings`` and the
first user of each customer is its Full Administrator. Phone numbers are unique E.164 numbers,
each declared in its location's ``numbers`` (Local Gateway: added by the apply before its user),
extensions unique per customer. The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

#: (country, state, city, postal code, time zone, language, street)
PLACES = [
    ("US", "TX", "Dallas", "75201", "America/Chicago", "en_US", "Main Street"),
    ("US", "WA", "Seattle", "98101", "America/Los_Angeles", "en_US", "Pine Street"),
    ("CA", "ON", "Toronto", "M5J 2T3", "America/Toronto", "en_CA", "Bay Street"),
    ("GB", "Greater London", "London", "EC1V 0BX", "Europe/London", "en_GB", "Old Street"),
    ("DE", "Hamburg", "Hamburg", "20457", "Europe/Berlin", "de_DE", "Am Sandtorkai"),
    ("FR", "Rhône", "Lyon", "69002", "Europe/Paris", "fr_FR", "Rue Mercière"),
    ("AU", "NSW", "Sydney", "2000", "Australia/Sydney", "en_AU", "George Street"),
]
WORDS = [
    "Acme", "Blue", "Cedar", "Delta", "Echo", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
    "Kite", "Lumen", "Maple", "Nova", "Orchid", "Pioneer", "Quartz", "Ridge", "Summit", "Tidal",
]  # fmt: skip
SUFFIXES = ["Ltd", "Inc", "GmbH", "LLC", "SARL", "Pty Ltd", "Group", "Partners"]
FIRST = ["Ann", "Ben", "Chloe", "Dev", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jonas", "Kai"]
LAST = ["Lee", "Moreau", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka"]

TEMPLATES = """\
kind: Template
name: calling
provisioningId: prov-bench-calling
defaults: {packages: [webex_calling, webex_meetings], language: en_US, country: US,
  timeZone: America/Chicago}
partnerHub: {authentication: webex, country: US}
---
kind: Template
name: suite
provisioningId: prov-bench-suite
defaults: {packages: [webex_suite], country: GB, timeZone: Europe/London}
---
kind: Template
name: meetings
provisioningId: prov-bench-meetings
defaults: {packages: [webex_meetings], timeZone: Europe/Berlin}
"""


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _customer(c: int, n_users: int, rnd: random.Random, phone: list[int]) -> tuple[str, str]:
    """(customer document, separate user documents or "") for customer number ``c``."""
    ext = f"bench-{c:06d}"
    country, state, city, postal, tz, lang, street = PLACES[c % len(PLACES)]
    meetings_only = c % 10 == 9
    name = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {rnd.choice(SUFFIXES)} {c}"
    n_locations = 1 if meetings_only else 1 + c % 3
    locations = [f"{city} {n}" for n in range(n_locations)]
    lines = [
        "kind: Customer",
        f"externalId: {ext}",
        f"name: {q(name)}",
        f"adminEmail: admin@{ext}.example.com",
        f"template: {'meetings' if meetings_only else 'calling'}",
        f"language: {lang}",
        f"packages: [{'webex_meetings' if meetings_only else 'webex_calling, webex_meetings'}]",
        f"address: {{line1: {q(f'{c % 900 + 1} {street}')}, city: {q(city)}, "
        f"state: {q(state)}, postalCode: {q(postal)}, country: {country}}}",
    ]
    if meetings_only:
        lines.append(f"meetings: {{timeZone: {tz}}}")
    users: list[list[str]] = []
    # the Local Gateway numbers each location declares: those of the users placed there
    numbers: dict[str, list[str]] = {loc: [] for loc in locations}
    for u in range(n_users):
        calling = not meetings_only and u % 2 == 0
        user = [
            f"email: {q(f'user{u}@{ext}.example.com')}",
            f"firstName: {rnd.choice(FIRST)}",
            f"lastName: {rnd.choice(LAST)}",
            f"package: {'webex_calling' if calling else 'webex_meetings'}",
        ]
        if calling:
            phone[0] += 1
            place = locations[u % len(locations)]
            numbers[place].append(f"'+1{phone[0]}'")
            user.append(f"phoneNumber: '+1{phone[0]}'")
            user.append(f"extension: '{1000 + u}'")
            user.append(f"location: {q(place)}")
        if u == 0:
            user.append("roles: [Full Administrator]")
        users.append(user)
    if not meetings_only:
        lines.append(f"headquarters: {q(locations[0])}")
        lines.append("locations:")
        lines.extend(
            f"  - {{name: {q(loc)}, timeZone: {tz}, numbers: [{', '.join(numbers[loc])}]}}"
            for loc in locations
        )
    separate = c % 10 == 4
    if separate:
        docs = ["\n".join(["kind: User", f"customer: {ext}", *user]) + "\n" for user in users]
        return "\n".join(lines) + "\n", "---\n".join(docs)
    if users:
        lines.append("users:")
        for user in users:
            lines.append(f"  - {user[0]}")
            lines.extend(f"    {field}" for field in user[1:])
    return "\n".join(lines) + "\n", ""


def generate(
    directory: Path, customers: int = 2000, users: int = 100000, seed: int = 0
) -> dict[str, int]:
    """Write the estate below ``directory`` (created); return counts per kind and files."""
    rnd = random.Random(seed)
    directory = Path(directory)
    (directory / "customers").mkdir(parents=True, exist_ok=True)
    (directory / "templates.yaml").write_text(TEMPLATES, encoding="utf-8")
    (directory / "settings.yaml").write_text("kind: Settings\nconcurrency: 8\n", encoding="utf-8")
    phone = [2_000_000_000]
    files = 2
    locations = 0
    for c in range(customers):
        share = users // customers + (1 if c < users % customers else 0)
        customer, separate = _customer(c, share, rnd, phone)
        (directory / "customers" / f"bench-{c:06d}.yaml").write_text(customer, encoding="utf-8")
        files += 1
        if separate:
            path = directory / "customers" / f"bench-{c:06d}-users.yaml"
            path.write_text(separate, encoding="utf-8")
            files += 1
        locations += 0 if c % 10 == 9 else 1 + c % 3
    return {
        "templates": 3,
        "customers": customers,
        "locations": locations,
        "users": users,
        "files": files,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--users", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(generate(args.directory, args.customers, args.users, args.seed)))


if __name__ == "__main__":
    main()
