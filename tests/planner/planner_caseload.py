"""Build model States from the compact case format of ``tests/cases/*.yaml``.

A case file::

    description: what the case shows
    settings: {prune: true, maxDeletePercent: 10, maxUpdatePercent: 30}   # optional
    scope: [acme]                                                          # optional
    options: {force: true, detailedExitcode: true}                         # optional, CLI exit
    templates: [{name: std, provisioningId: PID}]
    desired:
      customers:
        - externalId: acme          # name/adminEmail/template/language/packages/address/
          ...                       # headquarters/meetingsTimeZone/state
          locations: [{name: HQ, address: {...}, timeZone: ..., previously: [...], ...}]
                                    # calling: true/false, numbers: [...] (live: as read,
                                    # with mainNumber: +E164 and pstn: INTEGRATED_CCP ...)
          users: [{email: a@x, firstName: ..., package: ..., location: HQ, roles: [...]}]
    live:
      customers:
        - externalId: acme          # packages/address/status/errors/orgId (default org-EXT)
          locations: [...]
          users: [{email: ..., status: provisioned}]
          people: [a@x, {email: b@x, location: HQ, extension: "1001"}]  # no subscription
          # a name or email listed twice (each with its own ``id``) is a duplicate, as the
          # live read reports one: the State keeps the first
      roles: [Full Administrator, ...]   # what GET /roles lists (absent: not read)
    countries: {DE: {stateRequired: false, zipCodeRequired: true, states: [], timeZones: [...]}}
    expect: {create: 1, update: 0, delete: 0, blocked: false, warnings: 0, unmanaged: 0,
             exitCode: 2, mentions: ["text that must appear in the plan JSON"]}

The expected plan itself is ``NAME.expected.json`` next to the case (regenerated with
``RECONCILER_REGEN_CASES=1``; review the diff by eye). ``expect`` holds hand-written facts the
expected file must agree with, so a careless regeneration cannot bless a wrong plan.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from reconciler.model import (
    Address,
    Customer,
    Duplicate,
    LiveRef,
    Location,
    Settings,
    State,
    Template,
    TemplateDefaults,
    User,
)

CASES = Path(__file__).resolve().parent.parent / "cases"

DEFAULT_ADDRESS = {"line1": "1 Main St", "city": "Springfield", "country": "US"}


def address(data: dict[str, Any] | None) -> Address | None:
    if data is None:
        return None
    return Address(
        line1=data["line1"],
        city=data["city"],
        country=data["country"],
        line2=data.get("line2"),
        state=data.get("state"),
        postal_code=data.get("postalCode"),
    )


def _location(ext: str, data: dict[str, Any], live: bool) -> Location:
    return Location(
        customer=ext,
        name=data["name"],
        address=address(data.get("address")),
        time_zone=data.get("timeZone"),
        preferred_language=data.get("preferredLanguage"),
        announcement_language=data.get("announcementLanguage"),
        previously=tuple(data.get("previously", ())),
        state=data.get("state", "present"),
        live=LiveRef(id=data.get("id", f"loc-{ext}-{data['name']}"), org_id=f"org-{ext}")
        if live
        else None,
        calling=data.get("calling"),
        numbers=tuple(sorted(data["numbers"])) if "numbers" in data else None,
        main_number=data.get("mainNumber") if live else None,
        pstn=data.get("pstn") if live else None,
    )


def _user(ext: str, data: dict[str, Any], live: bool) -> User:
    email = data["email"].lower()
    return User(
        customer=ext,
        email=email,
        first_name=data.get("firstName"),
        last_name=data.get("lastName"),
        package=data.get("package"),
        location=data.get("location"),
        phone_number=data.get("phoneNumber"),
        extension=data.get("extension"),
        roles=tuple(sorted(data.get("roles", ()))),
        state=data.get("state", "present"),
        live=LiveRef(
            id=data.get("id", f"sub-{ext}-{email}"),
            person_id=f"person-{email}"
            if data.get("status", "provisioned") == "provisioned"
            else None,
            status=data.get("status", "provisioned"),
        )
        if live
        else None,
    )


def state(section: dict[str, Any] | None, *, live: bool, top: dict[str, Any]) -> State:
    section = section or {}
    customers: dict[str, Customer] = {}
    default_address = address(DEFAULT_ADDRESS)
    assert default_address is not None
    locations: dict[tuple[str, str], Location] = {}
    users: dict[tuple[str, str], User] = {}
    twice: dict[tuple[str, str, str], list[str]] = {}
    bare: dict[str, str] = {}
    extensions: dict[tuple[str, str, str], str] = {}
    for c in section.get("customers", ()):
        ext = c["externalId"]
        for person in c.get("people", ()):  # live persons of the org with no subscription
            if isinstance(person, str):
                person = {"email": person}
            bare[person["email"].lower()] = ext
            if "extension" in person:
                key = (ext, person["location"], str(person["extension"]))
                extensions[key] = person["email"].lower()
        ref = None
        if live:
            status = c.get("status", "provisioned")
            org = c.get("orgId", None if status == "provisioning" else f"org-{ext}")
            ref = LiveRef(
                id=f"cust-{ext}",
                org_id=org,
                status=status,
                errors=tuple(str(e) for e in c.get("errors", ())),
            )
        customers[ext] = Customer(
            external_id=ext,
            address=address(c.get("address")) or default_address,
            name=c.get("name"),
            admin_email=c.get("adminEmail"),
            template=c.get("template"),
            language=c.get("language"),
            packages=tuple(sorted(set(c.get("packages", ())))),
            headquarters=c.get("headquarters"),
            meetings_time_zone=c.get("meetingsTimeZone"),
            state=c.get("state", "present"),
            live=ref,
        )
        for loc in c.get("locations", ()):
            obj = _location(ext, loc, live)
            if obj.key in locations:
                twice.setdefault(("location", *obj.key), [_id(locations[obj.key])])
                twice[("location", *obj.key)].append(_id(obj))
                continue
            locations[obj.key] = obj
        for u in c.get("users", ()):
            user = _user(ext, u, live)
            if user.key in users:
                twice.setdefault(("user", *user.key), [_id(users[user.key])])
                twice[("user", *user.key)].append(_id(user))
                continue
            users[user.key] = user
    templates: dict[str, Template] = {}
    settings = Settings()
    if not live:
        for t in top.get("templates", ()):
            d = t.get("defaults", {})
            templates[t["name"]] = Template(
                name=t["name"],
                provisioning_id=t.get("provisioningId"),
                description=t.get("description"),
                defaults=TemplateDefaults(
                    packages=tuple(d.get("packages", ())),
                    language=d.get("language"),
                    country=d.get("country"),
                    time_zone=d.get("timeZone"),
                ),
                partner_hub=t.get("partnerHub", {}),
            )
        s = top.get("settings", {})
        settings = Settings(
            prune=s.get("prune", False),
            max_delete_percent=float(s.get("maxDeletePercent", 10)),
            max_update_percent=float(s.get("maxUpdatePercent", 30)),
        )
    return State(
        templates=templates,
        customers=customers,
        locations=locations,
        users=users,
        settings=settings,
        duplicates=tuple(
            Duplicate("location" if k == "location" else "user", ext, key, tuple(sorted(ids)))
            for (k, ext, key), ids in sorted(twice.items())
        ),
        bare_people=bare,
        extensions=extensions,
        role_names=frozenset(section["roles"]) if "roles" in section else None,
    )


def _id(obj: Location | User) -> str:
    return obj.live.id if obj.live else ""


def load_case(path: Path) -> tuple[dict[str, Any], State, State]:
    top = yaml.safe_load(path.read_text())
    return (
        top,
        state(top.get("desired"), live=False, top=top),
        state(top.get("live"), live=True, top=top),
    )


def shuffled(s: State, seed: int) -> State:
    """The same State with every mapping built in a different insertion order."""
    rng = random.Random(seed)

    def mix(m: Any) -> dict[Any, Any]:
        items = list(m.items())
        rng.shuffle(items)
        return dict(items)

    return State(
        templates=mix(s.templates),
        customers=mix(s.customers),
        locations=mix(s.locations),
        users=mix(s.users),
        settings=s.settings,
        duplicates=s.duplicates,
        bare_people=mix(s.bare_people),
        extensions=mix(s.extensions),
        role_names=s.role_names,
    )


def case_paths() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))
