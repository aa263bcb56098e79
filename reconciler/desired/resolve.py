"""Declarations → the resolved desired ``State``: references, template defaults, semantic rules.

Defaults, in order of precedence:
- customer ``packages``, ``language``, ``address.country``, ``meetings.timeZone`` (when it has a
  meetings package): the customer's own, else its template's ``defaults``;
- location ``address``: its own (``country`` from the customer when omitted), else the
  customer's; ``timeZone``: its own, else the template's; ``preferredLanguage``: its own, else the
  customer's language; ``announcementLanguage``: its own, else the preferred language;
- a calling user's ``location``: its own, else the customer's headquarters.

Every declared object is resolved and checked, also one with schema problems (``Decl.bad``): a
value that failed its schema counts as unknown, and a rule that needs an unknown value (or a
default from a template that is unknown) is skipped rather than guessed, so one mistake makes one
problem. Objects with schema problems are kept out of the returned ``State``.
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
    Presence,
    State,
    Template,
    TemplateDefaults,
    User,
)

from .build import Decl, Declarations, settings_of, unique
from .calling import calling_rules, with_calling
from .checks import (
    Known,
    check_country,
    check_language,
    check_time_zone,
    customer_rules,
    email_rules,
    location_name_rules,
    number_rules,
    rename_rules,
    user_rules,
)
from .schemas import did_you_mean

_MEETINGS_PACKAGES = frozenset({"webex_meetings", "webex_suite"})
_DEFAULTS = frozenset({"packages", "language", "country", "timeZone"})


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
    owners = {
        ext: _customer(decl, templates, template_decls, decls.broken_templates, problems)
        for ext, decl in customer_decls.items()
    }
    locations: dict[tuple[str, str], Location] = {}
    for key, decl in location_decls.items():
        owner = _owner(key[0], decl, owners, known_customers, problems)
        if owner is not None:
            locations[key] = _location(decl, owner, templates, problems)
    locations = with_calling(locations, location_decls, {k: o.customer for k, o in owners.items()})
    users: dict[tuple[str, str], User] = {}
    for key, decl in user_decls.items():
        owner = _owner(key[0], decl, owners, known_customers, problems)
        if owner is not None:
            users[key] = _user(decl, owner, locations, decls.broken_locations, problems)
    for owner in owners.values():
        if owner.present:
            problems.extend(customer_rules(owner, locations, decls.broken_locations))
    problems.extend(rename_rules(locations, location_decls))
    problems.extend(location_name_rules(location_decls))
    for key, user in users.items():
        owner = owners[key[0]]
        decl = user_decls[key]
        if owner.present and decl.ok("state") and user.state == "present":
            problems.extend(user_rules(user, decl, owner))
    present = {k: u for k, u in users.items() if owners[k[0]].present and user_decls[k].ok("state")}
    problems.extend(number_rules(present, user_decls))
    problems.extend(email_rules(present, user_decls))
    problems.extend(calling_rules(locations, location_decls, users, user_decls))

    def whole(decl: Decl, ext: str | None = None) -> bool:
        return not decl.partial and (ext is None or not owners[ext].partial)

    return State(
        templates={k: t for k, t in templates.items() if whole(template_decls[k])},
        customers={k: o.customer for k, o in owners.items() if whole(o.decl, k)},
        locations={k: v for k, v in locations.items() if whole(location_decls[k], k[0])},
        users={k: v for k, v in users.items() if whole(user_decls[k], k[0])},
        settings=settings_of(decls.settings, problems),
    )


def _state(decl: Decl) -> Presence:
    state: Presence = "absent" if decl.value("state") == "absent" else "present"
    return state


def _check(decl: Decl, problems: list[Problem], value: Any, *path: str) -> bool:
    """Check a time zone, country or language value in place; True if fine (or absent)."""
    if value is None:
        return True
    if path[-1] == "timeZone":
        message = check_time_zone(value)
    elif path[-1] == "country":
        message = check_country(value)
    else:
        message = check_language(value)
    if message:
        problems.append(decl.problem(message, *path))
    return message is None


def _gaps(decl: Decl | None) -> frozenset[str]:
    """The defaults of a template that failed its schema (all of them for no template)."""
    if decl is None:
        return _DEFAULTS
    return frozenset(f for f in _DEFAULTS if not decl.ok("defaults", f))


def _template(decl: Decl, problems: list[Problem]) -> Template:
    defaults = {f: decl.value("defaults", f) for f in _DEFAULTS}
    hub = decl.value("partnerHub") or {}
    for field in ("timeZone", "country", "language"):
        _check(decl, problems, defaults[field], "defaults", field)
    _check(decl, problems, decl.value("partnerHub", "country"), "partnerHub", "country")
    return Template(
        name=decl.data["name"],
        provisioning_id=decl.value("provisioningId"),
        description=decl.value("description"),
        defaults=TemplateDefaults(
            packages=tuple(sorted(set(defaults["packages"] or ()))),
            language=defaults["language"],
            country=defaults["country"],
            time_zone=defaults["timeZone"],
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


#: The address a customer is checked with when its own could not be read (never planned: such a
#: customer is kept out of the state).
_UNREAD = Address(line1="", city="", country="")


def _customer(
    decl: Decl,
    templates: Mapping[str, Template],
    template_decls: Mapping[str, Decl],
    broken: set[str],
    problems: list[Problem],
) -> Known:
    data = decl.data
    name = decl.value("template")
    template = templates.get(name) if isinstance(name, str) else None
    if isinstance(name, str) and template is None and name not in broken:
        problems.append(
            decl.problem(f"unknown template '{name}'{did_you_mean(name, templates)}", "template")
        )
    gaps = _gaps(template_decls.get(name) if template is not None else None)
    defaults = template.defaults if template else TemplateDefaults()
    raw = decl.value("address")
    address: Address | None = None
    if isinstance(raw, dict):
        country = None if "country" in gaps else defaults.country
        address = _address(decl, raw, country, problems, "address")
        if (
            address is None
            and raw.get("country") is None
            and template is not None
            and "country" not in gaps
        ):
            problems.append(
                decl.problem(
                    f"address has no country and template '{name}' has no defaults.country",
                    "address",
                )
            )
    elif decl.ok("address", "country") and isinstance(data.get("address"), dict):
        _check(decl, problems, data["address"].get("country"), "address", "country")
    if "packages" in data:
        packages_known = decl.ok("packages")
        packages = tuple(sorted(set(decl.value("packages") or ())))
    else:
        packages_known = "packages" not in gaps
        packages = defaults.packages
    _check(decl, problems, decl.value("language"), "language")
    meetings_tz = decl.value("meetings", "timeZone")
    _check(decl, problems, meetings_tz, "meetings", "timeZone")
    if meetings_tz is None and _MEETINGS_PACKAGES & set(packages):
        meetings_tz = defaults.time_zone
    customer = Customer(
        external_id=data["externalId"],
        address=address or _UNREAD,
        name=decl.value("name"),
        admin_email=decl.value("adminEmail"),
        template=name if isinstance(name, str) else None,
        language=decl.value("language") or defaults.language,
        packages=packages,
        headquarters=decl.value("headquarters"),
        meetings_time_zone=meetings_tz,
        state=_state(decl),
        source=decl.source(),
    )
    return Known(
        customer=customer,
        decl=decl,
        packages=packages_known,
        headquarters=decl.ok("headquarters"),
        state=decl.ok("state"),
        partial=address is None,
        gaps=gaps,
    )


def _owner(
    ext: str,
    decl: Decl,
    owners: Mapping[str, Known],
    known: set[str],
    problems: list[Problem],
) -> Known | None:
    owner = owners.get(ext)
    if owner is None and ext not in known:
        problems.append(
            decl.problem(f"unknown customer '{ext}'{did_you_mean(ext, known)}", "customer")
        )
    return owner


def _location(
    decl: Decl, owner: Known, templates: Mapping[str, Template], problems: list[Problem]
) -> Location:
    data = decl.data
    customer = owner.customer
    state = _state(decl)
    raw = decl.value("address")
    address: Address | None = None
    if isinstance(raw, dict):
        address = _address(decl, raw, customer.address.country, problems, "address")
    elif decl.ok("address"):
        address = customer.address
    elif decl.ok("address", "country") and isinstance(data.get("address"), dict):
        _check(decl, problems, data["address"].get("country"), "address", "country")
    time_zone = decl.value("timeZone")
    _check(decl, problems, time_zone, "timeZone")
    template = templates.get(customer.template or "")
    if time_zone is None and template is not None:
        time_zone = template.defaults.time_zone
    if (
        time_zone is None
        and state == "present"
        and template is not None
        and "timeZone" not in owner.gaps
        and decl.ok("timeZone")
        and decl.ok("state")
    ):
        problems.append(
            decl.problem(
                f"location '{data['name']}' has no timeZone and template '{template.name}' "
                "has no defaults.timeZone",
                "name",
            )
        )
    for field in ("preferredLanguage", "announcementLanguage"):
        _check(decl, problems, decl.value(field), field)
    previously = decl.value("previously") or ()
    preferred = decl.value("preferredLanguage") or (customer.language or "").lower() or None
    return Location(
        customer=customer.external_id,
        name=data["name"],
        address=address,
        time_zone=time_zone,
        preferred_language=preferred,
        announcement_language=decl.value("announcementLanguage") or preferred,
        previously=(previously,) if isinstance(previously, str) else tuple(previously),
        state=state,
        source=decl.source(),
    )


def _user(
    decl: Decl,
    owner: Known,
    locations: Mapping[tuple[str, str], Location],
    broken_locations: set[tuple[str, str]],
    problems: list[Problem],
) -> User:
    data = decl.data
    get = decl.value if decl.bad else data.get  # most objects passed: plain lookups
    customer = owner.customer
    state = _state(decl)
    package = get("package")
    location = get("location")
    ext = customer.external_id
    if location is not None and state == "present" and decl.ok("state"):
        found = locations.get((ext, location))
        if found is None and (ext, location) not in broken_locations:
            names = [name for owner_ext, name in locations if owner_ext == ext]
            problems.append(
                decl.problem(
                    f"unknown location '{location}' of customer '{ext}'"
                    f"{did_you_mean(location, names)}",
                    "location",
                )
            )
        elif found is not None and found.state == "absent":
            problems.append(decl.problem(f"location '{location}' is marked absent", "location"))
    if location is None and decl.ok("location") and package in CALLING_USER_PACKAGES:
        location = customer.headquarters
    return User(
        customer=ext,
        email=data["email"].lower(),
        first_name=get("firstName"),
        last_name=get("lastName"),
        package=package,
        location=location,
        phone_number=get("phoneNumber"),
        extension=get("extension"),
        roles=tuple(sorted(set(get("roles") or ()))),
        state=state,
        source=decl.source(),
    )
