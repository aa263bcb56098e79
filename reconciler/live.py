"""Read the live estate from Partner Hub and normalise it to the shape of the desired model.

Normalisation: one :class:`Address` shape (empty strings become None), lower-cased emails,
sorted de-duplicated customer packages, location names as keys, role IDs resolved to names
through ``/roles``, person fields (names, work number, extension, location name) joined onto
the wholesale subscriber. Users are the wholesale *subscribers*; people without a subscription
(e.g. the administrator Partner Hub creates with the org) are not users and are never listed.
Create-only customer fields are not returned by the wholesale API; what live can say is read
where it is cheap: ``name`` is the ``displayName`` of the customer's org (one ``GET
/organizations`` lists every org the partner manages; without ``spark-admin:organizations_read``
(403) names stay None, unknown), and ``LiveRef.admins`` are the emails of the org's Full
Administrators (from the people already read). ``template`` (the customer object does not echo
its ``provisioningId``) and ``language`` (only the identity API's per-org
``preferredLanguage``, one GET per customer) stay None; so does a location's
``announcementLanguage`` (``GET /locations`` omits it, only the per-location calling GET has
it). Server identities and statuses go into each object's :class:`LiveRef`.

Requests (minimal reads; never one GET per object). With ``M_c`` the customers page the
server grants (it clamps our ``max=1000``; 100 in the sandbox), ``C`` customers, ``k`` in
scope, ``P`` of them with an org (``orgId``), ``S`` subscribers in all, ``S_i`` / ``L_o`` /
``N_o`` subscribers of customer ``i`` / locations / people of org ``o``,
``pages(n, m) = floor(n / m) + 1`` (offset paging: a short page ends the list) and
``links(n, m) = max(1, ceil(n / m))`` (``Link`` paging: no request past the last page)::

    full read   = customers + Σ_o [links(L_o, 1000) + links(N_o, 100)]
                  + [P > 0] · (pages(S, 100) + 2)          (all subscribers; one GET /roles,
                                                      one GET /organizations)
                  + [P = 0 ∧ R]                    (R: a user in scope declares roles, whose
                                                      names the plan checks: GET /roles)
    customers   = pages(C, M_c) + [0 < C < M_c]     (a short first page might be a clamp:
                                                      one more page tells)
    scoped read = k + Σ_o [pages(S_o, 100) + links(L_o, 1000) + links(N_o, 100)] + 2·[P > 0]
                  + [P = 0 ∧ R]
                  (k ≤ SCOPED_LOOKUP_MAX: one lookup by externalId per customer, subscribers
                  per customer with an org; /roles and /organizations once)

The calling reads (asked for with ``calling``: then in the same pool of workers as the rest,
so that no org waits for the whole estate's core read; ``live_calling.read_calling`` reads
them on their own) add, with ``K`` the calling customers in scope that have an org, ``LC_o`` /
``NUM_o`` the calling locations / inventory numbers of org ``o`` and ``D`` the distinct
countries asked for (after planning)::

    calling read = Σ_o∈K [links(LC_o, 1000) + links(NUM_o, 2000)] + D
                   (one calling-locations list and one inventory list per org, never per
                   object; one country configuration per distinct country)

These are the minimum: a list of more than two pages is read a few pages ahead (up to the
in-flight cap at once), which costs at most cap − 1 empty pages past its end (see
``WebexClient``). A scoped read therefore costs the same whatever the size of the rest of the
estate (6 requests for one small customer). Scopes larger than ``SCOPED_LOOKUP_MAX`` list all
customers (``customers`` above) and then read subscribers all at once when most customers are
in scope (``2k > C``), else per customer. The reads of different orgs run concurrently,
bounded by the client's in-flight cap and rate limit.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.api import WebexClient
from reconciler.bodies import PERSON_PUT_FIELDS
from reconciler.errors import AuthError
from reconciler.model import (
    FULL_ADMIN_ROLE,
    Address,
    Customer,
    Duplicate,
    LiveRef,
    Location,
    State,
    User,
    has_calling,
)

Json = dict[str, Any]

#: ``progress(phase, done, total)``: ``phase`` is ``"customers"``, ``"organizations"`` or
#: ``"subscribers"``.
Progress = Callable[[str, int, int], None]

#: Up to this many customers in scope are looked up one by one (by externalId); more list all.
SCOPED_LOOKUP_MAX = 10


@dataclass
class CallingLists:
    """What :func:`read_live` fills in when asked for the calling reads: for each customer of
    ``customers`` that is read with an org and holds a calling package, its calling
    locations and its number inventory as listed (externalId → items; a number with its
    ``NUMBER_FIELDS`` and its location's id)."""

    customers: Collection[str]
    locations: dict[str, list[Json]] = field(default_factory=dict)
    numbers: dict[str, list[Json]] = field(default_factory=dict)


#: ``differs(externalId, email, person)``: whether the desired user under that key differs
#: from the person as read (a User of its person fields: names, work number, extension,
#: location, roles); None while that is not known yet (the desired state still loading).
Differs = Callable[[str, str, User], bool | None]


@dataclass
class WholePeople:
    """What :func:`read_live` fills in for an apply: each person ``differs`` says will be
    updated, with every field a full ``PUT /people`` carries back (``PERSON_PUT_FIELDS``),
    person id → (externalId, fields), so that the update needs no GET of it. The others are
    kept slim as usual."""

    differs: Differs
    people: dict[str, tuple[str, Json]] = field(default_factory=dict)
    #: Kept whole while ``differs`` could not tell: (person id, externalId, emails, person).
    undecided: list[tuple[str, str, tuple[str, ...], User]] = field(default_factory=list)

    def keep(self, pid: str, ext: str, emails: tuple[str, ...], user: User, raw: Json) -> None:
        answers = [self.differs(ext, email, user) for email in emails]
        if any(answers) or None in answers:
            self.people[pid] = (ext, {k: raw[k] for k in PERSON_PUT_FIELDS if k in raw})
            if not any(answers):
                self.undecided.append((pid, ext, emails, user))

    def settle(self) -> None:
        """Let go of the people kept undecided that ``differs`` now says do not differ."""
        undecided, self.undecided = self.undecided, []
        for pid, ext, emails, user in undecided:
            if not any(self.differs(ext, email, user) for email in emails):
                self.people.pop(pid, None)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = (value if value.__class__ is str else str(value)).strip()
    return text or None


def _role_names(person: Mapping[str, Any], role_names: Mapping[str, str]) -> list[str]:
    """A person's role names, sorted (an unknown role ID stands for itself)."""
    return sorted({role_names.get(str(r), str(r)) for r in person.get("roles") or ()})


def customer_address(raw: Any) -> Address:
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return Address(
        line1=_text(data.get("addressLine1")) or "",
        line2=_text(data.get("addressLine2")),
        city=_text(data.get("city")) or "",
        state=_text(data.get("stateOrProvince")),
        postal_code=_text(data.get("zipOrPostalCode")),
        country=(_text(data.get("country")) or "").upper(),
    )


def location_address(raw: Any) -> Address | None:
    if not isinstance(raw, Mapping) or not any(_text(v) for v in raw.values()):
        return None
    return Address(
        line1=_text(raw.get("address1")) or "",
        line2=_text(raw.get("address2")),
        city=_text(raw.get("city")) or "",
        state=_text(raw.get("state")),
        postal_code=_text(raw.get("postalCode")),
        country=(_text(raw.get("country")) or "").upper(),
    )


def _error_texts(items: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, Mapping):
            continue
        code = item.get("errorCode")
        text = _text(item.get("description")) or ""
        out.append(f"{prefix}{code}: {text}" if code is not None else f"{prefix}{text}")
    return out


def customer_errors(raw: Json) -> tuple[str, ...]:
    """Errors and package errors/warnings of an asynchronous provisioning, as ``code: text``."""
    errors = _error_texts(raw.get("errors"))
    details = raw.get("resourceDetails")
    packages = details.get("packages") if isinstance(details, Mapping) else None
    for pkg in packages if isinstance(packages, list) else ():
        if isinstance(pkg, Mapping):
            name = _text(pkg.get("name")) or "?"
            errors += _error_texts(pkg.get("errors"), f"{name}: ")
            errors += _error_texts(pkg.get("warnings"), f"{name}: warning ")
    return tuple(errors)


def _packages(raw: Json) -> list[str]:
    listed = raw.get("packages")
    return [str(p) for p in listed] if isinstance(listed, list) else []


def normalise_customer(
    raw: Json, *, name: str | None = None, admins: tuple[str, ...] = ()
) -> Customer:
    """``name``: its org's displayName (None: unknown); ``admins``: the lower-cased emails of
    its org's Full Administrators."""
    listed = raw.get("packages")
    packages: list[Any] = listed if isinstance(listed, list) else []
    return Customer(
        external_id=str(raw["externalId"]),
        address=customer_address(raw.get("address")),
        name=name,
        packages=tuple(sorted({str(p) for p in packages})),
        live=LiveRef(
            id=str(raw.get("id", "")),
            org_id=_text(raw.get("orgId")),
            status=_text(raw.get("status")),
            errors=customer_errors(raw),
            admins=admins,
        ),
    )


def org_names(organizations: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """orgId → displayName of the organizations listed."""
    out: dict[str, str] = {}
    for org in organizations:
        name = _text(org.get("displayName"))
        if name and _text(org.get("id")):
            out[str(org["id"])] = name
    return out


def full_admins(people: Iterable[Json], roles: RoleNames) -> tuple[str, ...]:
    """The sorted, lower-cased emails of the people holding the Full Administrator role."""
    return tuple(sorted({e for p in people if FULL_ADMIN_ROLE in roles.of(p) for e in _emails(p)}))


async def list_organizations(client: WebexClient) -> list[Json]:
    """The organizations from one ``GET /organizations``; empty when the token may not list
    them (403), so that names stay unknown rather than fail the read (a partner's list always
    holds its own org, so empty means refused)."""
    try:
        return await client.list_organizations()
    except AuthError as exc:
        if exc.status == 403:
            return []
        raise


def normalise_location(external_id: str, raw: Json) -> Location:
    return Location(
        customer=external_id,
        name=str(raw.get("name", "")),
        address=location_address(raw.get("address")),
        time_zone=_text(raw.get("timeZone")),
        preferred_language=_text(raw.get("preferredLanguage")),
        announcement_language=_text(raw.get("announcementLanguage")),
        live=LiveRef(id=str(raw.get("id", "")), org_id=_text(raw.get("orgId"))),
    )


def _work_number(person: Json) -> str | None:
    numbers = person.get("phoneNumbers")
    if not numbers:
        return None
    # dict before Mapping: JSON gives dicts, and an ABC check costs more than the rest
    work = [n for n in numbers if isinstance(n, dict | Mapping) and n.get("type") == "work"]
    work.sort(key=lambda n: not n.get("primary"))
    return _text(work[0].get("value")) if work else None


def _extension(person: Json) -> str | None:
    extension = _text(person.get("extension"))
    if extension:
        return extension
    for number in person.get("phoneNumbers") or ():
        if isinstance(number, dict | Mapping) and number.get("type") == "work_extension":
            return _text(number.get("value"))
    return None


class RoleNames:
    """Role IDs → sorted names (an unknown ID stands for itself), remembered per set of IDs:
    an estate's people hold a handful of distinct role sets."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names
        self._known: dict[tuple[Any, ...], tuple[str, ...]] = {(): ()}

    def of(self, person: Mapping[str, Any]) -> tuple[str, ...]:
        raw = person.get("roles")
        ids = tuple(raw) if isinstance(raw, list | tuple) else ()
        found = self._known.get(ids)
        if found is None:
            found = self._known[ids] = tuple(_role_names(person, self.names))
        return found


def normalise_user(
    external_id: str,
    subscriber: Json,
    person: Json | None,
    *,
    location_names: Mapping[str, str],
    role_names: Mapping[str, str] | RoleNames,
) -> User:
    packages = subscriber.get("packages")
    package = packages[0] if isinstance(packages, list) and packages else subscriber.get("package")
    person = person or {}
    roles = role_names if isinstance(role_names, RoleNames) else RoleNames(role_names)
    location_id = _text(person.get("locationId"))
    errors = subscriber.get("errors")
    return User(
        customer=external_id,
        email=str(subscriber.get("email", "")).strip().lower(),
        first_name=_text(person.get("firstName")),
        last_name=_text(person.get("lastName")),
        package=_text(package),
        location=location_names.get(location_id, location_id) if location_id else None,
        phone_number=_work_number(person),
        extension=_extension(person),
        roles=roles.of(person),
        live=LiveRef(
            id=str(subscriber.get("id", "")),
            org_id=_text(person.get("orgId")),
            person_id=_text(subscriber.get("personId")) or _text(person.get("id")),
            status=_text(subscriber.get("status")),
            errors=tuple(_error_texts(errors)) if errors else (),
        ),
    )


#: The fields of a person and of a subscriber that ``normalise_user`` reads.
PERSON_FIELDS = (
    "id",
    "emails",
    "firstName",
    "lastName",
    "locationId",
    "phoneNumbers",
    "extension",
    "orgId",
    "roles",
)
SUBSCRIBER_FIELDS = ("id", "personId", "email", "customerId", "packages", "package", "status")
#: Values repeated across many objects, kept once (the org, the customer, a location…).
_SHARED = ("orgId", "customerId", "status", "package", "locationId", "firstName", "lastName")


def _slim(raw: Json, fields: tuple[str, ...]) -> Json:
    out = {k: raw[k] for k in fields if k in raw}
    for k in _SHARED:
        if k in out and isinstance(out[k], str):
            out[k] = sys.intern(out[k])
    return out


def _interned(values: Any) -> Any:
    """A list of strings as a tuple of interned ones (empty: the one empty tuple)."""
    if isinstance(values, list) and all(isinstance(v, str) for v in values):
        return tuple(map(sys.intern, values)) if values else ()
    return values


def _slim_person(raw: Json) -> Json:
    # the person's id and emails interned: its subscriber's personId and email then share them
    out = _slim(raw, PERSON_FIELDS)
    if isinstance(out.get("id"), str):
        out["id"] = sys.intern(out["id"])
    for key in ("emails", "roles"):
        if key in out:
            out[key] = _interned(out[key])
    return out


#: The fields of an inventory number kept from the pooled calling read (a number as decoded
#: takes ~1.2 KB; a 2,000-customer estate holds tens of thousands), with the ids of its
#: location and owner.
NUMBER_FIELDS = ("phoneNumber", "state", "mainNumber")


def _slim_number(raw: Json) -> Json:
    out = _slim(raw, NUMBER_FIELDS)
    for key in ("location", "owner"):
        linked = raw.get(key)
        if isinstance(linked, dict):
            out[key] = {k: sys.intern(str(linked[k])) for k in ("id", "type") if k in linked}
    return out


def _slim_subscriber(raw: Json) -> Json:
    out = _slim(raw, SUBSCRIBER_FIELDS)
    for key in ("personId", "email"):
        if isinstance(out.get(key), str):
            out[key] = sys.intern(out[key])
    packages = out.get("packages")
    if isinstance(packages, list) and packages and isinstance(packages[0], str):
        # normalise_user reads the first package only
        del out["packages"]
        out["package"] = sys.intern(packages[0])
    if raw.get("errors"):
        out["errors"] = raw["errors"]
    return out


def _whole_people(
    whole: WholePeople,
    ext: str,
    people: list[Json],
    locations: list[Json],
    roles: list[Json],
    keep: Callable[[Json], Json] | None,
) -> list[Json]:
    """Keep the people ``whole.differs`` picks whole in ``whole.people``; the list as
    ``keep`` maps it."""
    names = {str(raw.get("id", "")): str(raw.get("name", "")) for raw in locations}
    role_sets = RoleNames({str(r.get("id")): str(r.get("name")) for r in roles if r.get("name")})
    for person in people:
        user = normalise_user(ext, {}, person, location_names=names, role_names=role_sets)
        whole.keep(str(person.get("id")), ext, tuple(_emails(person)), user, person)
    return people if keep is None else [keep(p) for p in people]


def _id_of(obj: User | Location) -> str:
    return obj.live.id if obj.live else ""


def duplicates_of(seen: dict[tuple[str, str, str], set[str]]) -> tuple[Duplicate, ...]:
    """The keys read with more than one ID, as ``Duplicate`` values (the planner reports them)."""
    return tuple(
        Duplicate("location" if kind == "location" else "user", ext, key, tuple(sorted(ids)))
        for (kind, ext, key), ids in sorted(seen.items())
        if len(ids) > 1
    )


def _emails(person: Json) -> Iterable[str]:
    for email in person.get("emails") or ():
        if isinstance(email, str):
            yield email.strip().lower()


async def _customers_in_scope(
    client: WebexClient, scope: frozenset[str] | None, *, others: bool
) -> tuple[list[Json], list[Json], int | None]:
    """The raw customers in scope, those outside it (when ``others``), and the total number
    of customers when all were listed."""
    if scope is not None and len(scope) <= SCOPED_LOOKUP_MAX and not others:
        found = await asyncio.gather(*(client.list_customers(external_id=e) for e in sorted(scope)))
        # the externalId filter is exact (WebexClient.list_customers)
        return [c for batch in found for c in batch], [], None
    everything = await client.list_customers()
    every = [c for c in everything if _text(c.get("externalId"))]
    if scope is None:
        return every, [], len(every)
    inside = [c for c in every if c["externalId"] in scope]
    outside = [c for c in every if c["externalId"] not in scope] if others else []
    return inside, outside, len(every)


async def together(*steps: Awaitable[Any]) -> list[Any]:
    """Run ``steps`` concurrently; on the first failure cancel the rest and raise it."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def read_live(
    client: WebexClient,
    *,
    customers: Collection[str] | None = None,
    others: bool = False,
    progress: Progress | None = None,
    org_people: dict[str, list[Json]] | None = None,
    organizations: list[Json] | None = None,
    concurrency: int = 8,
    roles: bool = False,
    calling: CallingLists | None = None,
    whole_people: WholePeople | None = None,
) -> State:
    """The live State of the customers in scope (all when ``customers`` is None), with at
    most ``concurrency`` reads in flight (the client's cap: its limiter holds back the rest).

    With ``others``, the live customers outside the scope are included too, without their
    locations and users (e.g. to report them as unmanaged): free when all customers are
    listed anyway, else one customers list instead of the lookups by externalId.

    ``org_people``, when given, receives every person of each customer's org as listed
    (externalId → people), subscribers or not, each with ``roleNames`` added (its role IDs
    resolved to names), at no extra request: e.g. to find an org's administrators.
    ``organizations``, when given, receives the ``GET /organizations`` list as read (left empty
    when refused, or not read because no customer in scope has an org).
    ``roles``: read ``GET /roles`` even when no customer in scope has an org (a plan whose
    users declare roles checks their names); ``State.role_names`` is None when not read.
    ``calling``, when given, receives the calling reads of its customers (see
    :class:`CallingLists`); ``whole_people`` the people an apply will update, whole (see
    :class:`WholePeople`): an org's people are then slimmed once its list and its locations
    are read.
    """
    scope = None if customers is None else frozenset(customers)
    report = progress or (lambda phase, done, total: None)

    raw_customers, outside, total = await _customers_in_scope(client, scope, others=others)
    raw_customers.sort(key=lambda c: (str(c["externalId"]), str(c.get("id", ""))))
    by_ext: dict[str, Json] = {}
    for raw in raw_customers:
        by_ext.setdefault(str(raw["externalId"]), raw)
    report("customers", len(by_ext), len(by_ext))
    ext_by_id = {str(c.get("id")): ext for ext, c in by_ext.items()}
    orgs = {ext: str(c["orgId"]) for ext, c in by_ext.items() if _text(c.get("orgId"))}

    all_at_once = scope is None or (total is not None and 2 * len(by_ext) > total)
    # The per-org (and per-customer) lists run in a pool of workers, one request each at a
    # time, so that an all-at-once subscriber list (a chain of pages, each needing the
    # previous offset) keeps an in-flight slot instead of queueing behind every org read.
    chain = all_at_once and bool(orgs)
    wanted = frozenset(calling.customers) if calling is not None else frozenset()

    def kinds(ext: str) -> tuple[str, ...]:
        if ext in wanted and has_calling(_packages(by_ext[ext])):
            return ("locations", "people", "calling-locations", "numbers")
        return ("locations", "people")

    # org by org, so that each org's calling reads go out along with its own core reads
    jobs = [(kind, ext) for ext in sorted(orgs) for kind in kinds(ext)]
    if not all_at_once:
        jobs += [("subscribers", ext) for ext in sorted(orgs)]
    results: dict[tuple[str, str], list[Json]] = {}
    pending = dict.fromkeys(orgs, 2)
    done = {"orgs": 0}
    located = {ext: asyncio.Event() for ext in orgs} if whole_people is not None else {}
    roles_read = asyncio.Event()
    roles_listed: list[Json] = []

    async def run_job(kind: str, ext: str) -> None:
        if kind == "locations":
            results[kind, ext] = await client.list_locations(orgs[ext])
            if located:
                located[ext].set()
        elif kind == "people" and whole_people is not None:
            listed = await client.list_people(orgs[ext])
            # the org's locations job went out before this one; the roles at the start
            await located[ext].wait()
            await roles_read.wait()
            results[kind, ext] = _whole_people(
                whole_people, ext, listed, results["locations", ext], roles_listed, keep_person
            )
        elif kind == "people":
            results[kind, ext] = await client.list_people(orgs[ext], keep=keep_person)
        elif kind == "calling-locations":
            assert calling is not None  # only then such jobs
            calling.locations[ext] = await client.list_calling_locations(orgs[ext])
            return
        elif kind == "numbers":
            assert calling is not None
            calling.numbers[ext] = await client.list_numbers(orgs[ext], keep=_slim_number)
            return
        else:
            customer_id = str(by_ext[ext]["id"])
            results[kind, ext] = await client.list_subscribers(customer_id, keep=_slim_subscriber)
            return
        pending[ext] -= 1
        if not pending[ext]:
            done["orgs"] += 1
            report("organizations", done["orgs"], len(orgs))

    # Only the fields the state is built from are kept, as each page arrives: a person or a
    # subscriber as decoded takes 1.6-1.8 KB, 100,000 of each a third of a GB.
    keep_person = _slim_person if org_people is None else None
    queue = iter(jobs)

    async def worker() -> None:
        for kind, ext in queue:  # workers share one iterator: each job runs once
            await run_job(kind, ext)

    async def read_all_subscribers() -> list[Json]:
        return await client.list_subscribers(keep=_slim_subscriber) if chain else []

    roles_wanted = bool(orgs) or roles

    async def read_roles() -> list[Json]:
        roles_listed.extend(await client.list_roles() if roles_wanted else [])
        roles_read.set()
        return roles_listed

    async def read_organizations() -> list[Json]:
        return await list_organizations(client) if orgs else []

    limit = concurrency
    workers = min(len(jobs), max(1, limit - 1) if chain else limit)
    subscribers, role_list, listed_orgs, *_ = await together(
        read_all_subscribers(),
        read_roles(),
        read_organizations(),
        *(worker() for _ in range(workers)),
    )
    if not all_at_once:
        subscribers = [s for ext in sorted(orgs) for s in results["subscribers", ext]]
    if orgs:
        report("subscribers", len(subscribers), len(subscribers))
    org_data = [(ext, results["locations", ext], results["people", ext]) for ext in sorted(orgs)]
    role_names = {str(r.get("id")): str(r.get("name")) for r in role_list if r.get("name")}
    if org_people is not None:
        for ext, _, listed in org_data:
            org_people[ext] = [{**p, "roleNames": _role_names(p, role_names)} for p in listed]

    if organizations is not None:
        organizations.extend(listed_orgs)
    names_of_orgs = org_names(listed_orgs)
    role_sets = RoleNames(role_names)
    state_customers = {
        ext: normalise_customer(
            raw,
            name=names_of_orgs.get(orgs.get(ext, "")),
            admins=full_admins(results.get(("people", ext), ()), role_sets),
        )
        for ext, raw in by_ext.items()
    }
    for raw in outside:
        state_customers.setdefault(str(raw["externalId"]), normalise_customer(raw))
    state_locations: dict[tuple[str, str], Location] = {}
    #: (kind, customer, key) → the IDs of every live object under a key read more than once.
    seen: dict[tuple[str, str, str], set[str]] = {}
    people_by_ext: dict[str, tuple[dict[str, Json], dict[str, Json]]] = {}
    names_by_ext: dict[str, dict[str, str]] = {}
    for ext, locations, people in org_data:
        names: dict[str, str] = {}
        for raw in sorted(locations, key=lambda r: str(r.get("id", ""))):
            loc = normalise_location(ext, raw)
            names[str(raw.get("id", ""))] = loc.name
            if state_locations.setdefault(loc.key, loc) is not loc:
                seen.setdefault(("location", *loc.key), {_id_of(state_locations[loc.key])})
                seen[("location", *loc.key)].add(_id_of(loc))
        names_by_ext[ext] = names
        by_id = {str(p.get("id")): p for p in people}
        by_email = {e: p for p in people for e in _emails(p)}
        people_by_ext[ext] = (by_id, by_email)

    # Subscribers in the order listed; of two under one key the lower id wins (as if sorted
    # by id), without sorting all of them. Customer by customer, each one's people and
    # subscribers let go once its users (and the people who are no users) are built, so that
    # the read's raw lists and the users are not all held at once (the peak of a plan is here).
    by_owner: dict[str, list[Json]] = {}
    for sub in subscribers:
        owner = ext_by_id.get(str(sub.get("customerId")))
        if owner is not None and owner in people_by_ext:
            by_owner.setdefault(owner, []).append(sub)
        # else another customer's subscriber (an all-at-once read), or no org
    del subscribers
    results.clear()
    org_data.clear()
    state_users: dict[tuple[str, str], User] = {}
    bare: dict[str, str] = {}
    held: dict[tuple[str, str, str], str] = {}
    # in reverse order, so that of two orgs with one person's email the first named wins
    for owner in sorted(people_by_ext, reverse=True):
        by_id, by_email = people_by_ext.pop(owner)
        for sub in by_owner.pop(owner, ()):
            email = str(sub.get("email", "")).strip().lower()
            person = by_id.get(str(sub.get("personId"))) or by_email.get(email)
            user = normalise_user(
                owner, sub, person, location_names=names_by_ext[owner], role_names=role_sets
            )
            known = state_users.get(user.key)
            if known is not None and _id_of(known) != _id_of(user):
                seen.setdefault(("user", *user.key), {_id_of(known)}).add(_id_of(user))
            if known is None or _id_of(user) < _id_of(known):
                state_users[user.key] = user
        bare.update((e, owner) for e in by_email if (owner, e) not in state_users)
        held.update(held_extensions([(owner, [], list(by_id.values()))], names_by_ext, state_users))
        del by_id, by_email

    return State(
        customers=dict(sorted(state_customers.items())),
        locations=dict(sorted(state_locations.items())),
        users=dict(sorted(state_users.items())),
        duplicates=duplicates_of(seen),
        bare_people=dict(sorted(bare.items())),
        extensions=held,
        role_names=frozenset(role_names.values()) if roles_wanted else None,
    )


def held_extensions(
    org_data: Iterable[tuple[str, list[Json], list[Json]]],
    names_by_ext: Mapping[str, Mapping[str, str]],
    users: Mapping[tuple[str, str], User],
) -> dict[tuple[str, str, str], str]:
    """(customer, location name, extension) → email of each person read who is not a user
    and holds an extension at a location: Webex refuses that extension to anyone else there
    (from the people already read, no request)."""
    out: dict[tuple[str, str, str], str] = {}
    for ext, _, people in org_data:
        names = names_by_ext.get(ext, {})
        for person in people:
            location_id, extension = _text(person.get("locationId")), _extension(person)
            emails = list(_emails(person))
            if not location_id or not extension or any((ext, e) in users for e in emails):
                continue
            email = emails[0] if emails else str(person.get("id", ""))
            out.setdefault((ext, names.get(location_id, location_id), extension), email)
    return out
