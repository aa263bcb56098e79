"""Declarations → the resolved desired ``State``: references, template defaults, semantic rules.

Defaults, in order of precedence:
- customer ``packages``, ``language``, ``address.country``, ``meetings.timeZone`` (when it has a
  meetings package): the customer's own, else its template's ``defaults``;
- location ``address``: its own (``country`` from the customer when omitted), else the
  customer's; ``timeZone``: its own, else the template's; ``preferredLanguage``: its own, else the
  customer's language; ``announcementLanguage``: its own, else the preferred language;
- a calling user's ``location``: its own, else the customer's headquarters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import Problem
from reconciler.model import (
    CALLING_USER_PACKAGES,
    Address,
    Customer,
    Location,
    State,
    Template,
    TemplateDefaults,
    User,
)

from .build import Decl, Declarations, settings_of, unique
from .calling import calling_rules, with_calling
from .checks import check_country, check_time_zone, customer_rules, rename_rules, user_rules
from .schemas import did_you_mean

_MEETINGS_PACKAGES = frozenset({"webex_meetings", "webex_suite"})


def resolve(decls: Declarations, problems: list[Problem]) -> State:
    """The desired state; appends every reference and rule problem to ``problems``."""
    template_decls = unique(
        ((d.data["name"], d) for d in decls.templates), "template", "name", problems
    )
    templates = {name: _template(d, problems) for name, d in template_decls.items()}
    customer_decls = unique(
        ((d.data["externalId"], d) for d in decls.customers), "customer", "externalId", problems
    )
    # What is nested under a duplicate customer repeats that one mistake: leave it out.
    kept = {id(d.doc) for d in customer_decls.values()}
    dropped = {id(d.doc) for d in decls.customers} - kept

    def counted(decl: Decl) -> bool:
        return not decl.path or id(decl.doc) not in dropped

    location_decls = unique(
        (((ext, d.data["name"]), d) for ext, d in decls.locations if counted(d)),
        "location",
        "name",
        problems,
    )
    user_decls = unique(
        (((ext, d.data["email"].lower()), d) for ext, d in decls.users if counted(d)),
        "user",
        "email",
        problems,
    )
    known_customers = set(customer_decls) | decls.broken_customers
    customers: dict[str, Customer] = {}
    for ext, decl in customer_decls.items():
        customer = _customer(decl, templates, decls.broken_templates, problems)
        if customer is not None:
            customers[ext] = customer
    locations: dict[tuple[str, str], Location] = {}
    for key, decl in location_decls.items():
        owner = _owner(key[0], decl, customers, known_customers, problems)
        if owner is not None:
            locations[key] = _location(decl, owner, templates, problems)
    locations = with_calling(locations, location_decls, customers)
    users: dict[tuple[str, str], User] = {}
    for key, decl in user_decls.items():
        owner = _owner(key[0], decl, customers, known_customers, problems)
        if owner is not None:
            users[key] = _user(decl, owner, locations, decls.broken_locations, problems)
    for ext, customer in customers.items():
        if customer.state == "present":
            problems.extend(
                customer_rules(customer, customer_decls[ext], locations, decls.broken_locations)
            )
    problems.extend(rename_rules(locations, location_decls))
    for key, user in users.items():
        customer = customers[key[0]]
        if user.state == "present" and customer.state == "present":
            problems.extend(user_rules(user, user_decls[key], customer))
    problems.extend(calling_rules(locations, location_decls, users, user_decls))
    return State(
        templates=templates,
        customers=customers,
        locations=locations,
        users=users,
        settings=settings_of(decls.settings, problems),
    )


def _check(decl: Decl, problems: list[Problem], value: Any, *path: str) -> bool:
    """Check a time zone or country value in place; True if it is fine (or absent)."""
    if value is None:
        return True
    message = (check_time_zone if path[-1] == "timeZone" else check_country)(value)
    if message:
        problems.append(decl.problem(message, *path))
    return message is None


def _template(decl: Decl, problems: list[Problem]) -> Template:
    data = decl.data
    defaults = data.get("defaults", {})
    hub = data.get("partnerHub", {})
    _check(decl, problems, defaults.get("timeZone"), "defaults", "timeZone")
    _check(decl, problems, defaults.get("country"), "defaults", "country")
    _check(decl, problems, hub.get("country"), "partnerHub", "country")
    return Template(
        name=data["name"],
        provisioning_id=data.get("provisioningId"),
        description=data.get("description"),
        defaults=TemplateDefaults(
            packages=tuple(sorted(set(defaults.get("packages", ())))),
            language=defaults.get("language"),
            country=defaults.get("country"),
            time_zone=defaults.get("timeZone"),
        ),
        partner_hub=hub,
        source=decl.source(),
    )


def _address(
    decl: Decl, raw: Mapping[str, Any], country: str | None, problems: list[Problem], *at: str
) -> Address | None:
    own = raw.get("country")
    if not _check(decl, problems, own, *at, "country"):
        return None
    if own is None and country is None:
        return None
    return Address(
        line1=raw["line1"],
        city=raw["city"],
        country=own or country or "",
        line2=raw.get("line2"),
        state=raw.get("state"),
        postal_code=raw.get("postalCode"),
    )


def _customer(
    decl: Decl, templates: Mapping[str, Template], broken: set[str], problems: list[Problem]
) -> Customer | None:
    data = decl.data
    name = data["template"]
    template = templates.get(name)
    if template is None and name not in broken:
        problems.append(
            decl.problem(f"unknown template '{name}'{did_you_mean(name, templates)}", "template")
        )
    defaults = template.defaults if template else TemplateDefaults()
    address = _address(decl, data["address"], defaults.country, problems, "address")
    if address is None:
        if template is not None and data["address"].get("country") is None:
            problems.append(
                decl.problem(
                    f"address has no country and template '{name}' has no defaults.country",
                    "address",
                )
            )
        return None
    packages = tuple(sorted(set(data.get("packages", defaults.packages))))
    meetings_tz = data.get("meetings", {}).get("timeZone")
    _check(decl, problems, meetings_tz, "meetings", "timeZone")
    if meetings_tz is None and _MEETINGS_PACKAGES & set(packages):
        meetings_tz = defaults.time_zone
    return Customer(
        external_id=data["externalId"],
        address=address,
        name=data["name"],
        admin_email=data["adminEmail"],
        template=name,
        language=data.get("language", defaults.language),
        packages=packages,
        headquarters=data.get("headquarters"),
        meetings_time_zone=meetings_tz,
        state=data.get("state", "present"),
        source=decl.source(),
    )


def _owner(
    ext: str,
    decl: Decl,
    customers: Mapping[str, Customer],
    known: set[str],
    problems: list[Problem],
) -> Customer | None:
    customer = customers.get(ext)
    if customer is None and ext not in known:
        problems.append(
            decl.problem(f"unknown customer '{ext}'{did_you_mean(ext, known)}", "customer")
        )
    return customer


def _location(
    decl: Decl, customer: Customer, templates: Mapping[str, Template], problems: list[Problem]
) -> Location:
    data = decl.data
    state = data.get("state", "present")
    raw = data.get("address")
    if raw is None:
        address: Address | None = customer.address
    else:
        address = _address(decl, raw, customer.address.country, problems, "address")
    time_zone = data.get("timeZone")
    _check(decl, problems, time_zone, "timeZone")
    template = templates.get(customer.template or "")
    if time_zone is None and template is not None:
        time_zone = template.defaults.time_zone
    if time_zone is None and state == "present" and template is not None:
        problems.append(
            decl.problem(
                f"location '{data['name']}' has no timeZone and template '{template.name}' "
                "has no defaults.timeZone",
                "name",
            )
        )
    previously = data.get("previously", ())
    preferred = data.get("preferredLanguage") or (customer.language or "").lower() or None
    return Location(
        customer=customer.external_id,
        name=data["name"],
        address=address,
        time_zone=time_zone,
        preferred_language=preferred,
        announcement_language=data.get("announcementLanguage", preferred),
        previously=(previously,) if isinstance(previously, str) else tuple(previously),
        state=state,
        source=decl.source(),
    )


def _user(
    decl: Decl,
    customer: Customer,
    locations: Mapping[tuple[str, str], Location],
    broken_locations: set[tuple[str, str]],
    problems: list[Problem],
) -> User:
    data = decl.data
    state = data.get("state", "present")
    package = data.get("package")
    location = data.get("location")
    ext = customer.external_id
    if location is not None and state == "present":
        found = locations.get((ext, location))
        if found is None and (ext, location) not in broken_locations:
            names = [name for owner, name in locations if owner == ext]
            problems.append(
                decl.problem(
                    f"unknown location '{location}' of customer '{ext}'"
                    f"{did_you_mean(location, names)}",
                    "location",
                )
            )
        elif found is not None and found.state == "absent":
            problems.append(decl.problem(f"location '{location}' is marked absent", "location"))
    if location is None and package in CALLING_USER_PACKAGES:
        location = customer.headquarters
    return User(
        customer=ext,
        email=data["email"].lower(),
        first_name=data.get("firstName"),
        last_name=data.get("lastName"),
        package=package,
        location=location,
        phone_number=data.get("phoneNumber"),
        extension=data.get("extension"),
        roles=tuple(sorted(set(data.get("roles", ())))),
        state=state,
        source=decl.source(),
    )
