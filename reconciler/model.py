"""The desired and live state as frozen values; pure (no IO, no third-party imports).

One shape serves both sides: the loader builds a desired ``State`` from YAML, ``live.py`` builds a
live ``State`` from the API, normalised to the same shape, and the planner compares the two.
Live objects carry a ``LiveRef`` (server IDs and status) that takes no part in comparison.

Keys:
- Template: ``name``
- Customer: ``external_id``
- Location: ``(customer external_id, name)``
- User: ``(customer external_id, email lower-cased)``
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Presence = Literal["present", "absent"]

#: Subscriber packages that carry calling; every one but meetings (INFERRED from the
#: subscriber update's note: calling parameters "should only be supplied when changing from
#: the webex_meetings package to any calling-enabled package").
CALLING_USER_PACKAGES = frozenset(
    {
        "webex_calling",
        "webex_suite",
        "webex_voice",
        "cx_essentials",
        "webex_calling_standard",
        "attendant_console",
        "cx_premium_agent",
        "cx_standard_agent",
    }
)

#: Customer packages that need ``provisioningParameters.calling`` (INFERRED: all but meetings
#: and the add-ons that are not a calling service of their own).
CALLING_CUSTOMER_PACKAGES = frozenset(
    {
        "common_area_calling",
        "webex_calling",
        "webex_suite",
        "webex_voice",
        "cx_essentials",
        "webex_calling_standard",
    }
)

FULL_ADMIN_ROLE = "Full Administrator"

#: Customer statuses during which Partner Hub is still working on it (wait for the job): the
#: one name for them on the client side.
CUSTOMER_IN_FLIGHT = frozenset({"provisioning", "updating", "deleting"})
#: Final customer statuses of a provisioning that did not fully succeed.
CUSTOMER_BAD_ENDINGS = frozenset({"error", "provisioned_with_errors"})


def leaves_calling(want: User | None, live: User) -> bool:
    """True when the desired user moves a live calling user onto a package without calling:
    with the licence it gives up its number and extension (INFERRED, as a removal does)."""
    return (
        want is not None
        and want.package is not None
        and want.package not in CALLING_USER_PACKAGES
        and live.package in CALLING_USER_PACKAGES
    )


def has_calling(packages: Iterable[str]) -> bool:
    """True when these customer packages need ``provisioningParameters.calling``."""
    return any(p in CALLING_CUSTOMER_PACKAGES for p in packages)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a desired object was declared (for messages); never compared."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Address:
    """The one address shape; each API's field names are mapped at the edge."""

    line1: str
    city: str
    country: str
    line2: str | None = None
    state: str | None = None
    postal_code: str | None = None

    def to_data(self) -> dict[str, str]:
        """The YAML (and plan) shape; absent parts are left out."""
        data = {
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "state": self.state,
            "postalCode": self.postal_code,
            "country": self.country,
        }
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True, slots=True)
class LiveRef:
    """Server-side identity and status of a live object; not part of comparisons."""

    id: str
    org_id: str | None = None
    person_id: str | None = None
    status: str | None = None
    errors: tuple[str, ...] = ()
    #: A customer's: the lower-cased emails of its org's Full Administrators (as read).
    admins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TemplateDefaults:
    packages: tuple[str, ...] = ()
    language: str | None = None
    country: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    provisioning_id: str | None = None
    description: str | None = None
    defaults: TemplateDefaults = TemplateDefaults()
    #: The template's Partner Hub UI settings, as written in YAML (read-only to the tool).
    partner_hub: Mapping[str, Any] = field(default_factory=dict, compare=False)
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Customer:
    external_id: str
    address: Address
    #: ``name``, ``admin_email``, ``template`` and ``language`` are create-only in the wholesale
    #: API, which does not return them; on the live side ``None`` means "unknown, not compared"
    #: (``reconciler.live`` fills ``name`` from the org's displayName, and the org's Full
    #: Administrators into ``live.admins``).
    name: str | None = None
    admin_email: str | None = None
    template: str | None = None
    language: str | None = None
    #: Sorted, de-duplicated package names (the complete set).
    packages: tuple[str, ...] = ()
    #: Name of the location used as calling headquarters (desired side only).
    headquarters: str | None = None
    meetings_time_zone: str | None = None
    state: Presence = "present"
    source: Source | None = field(default=None, compare=False)
    live: LiveRef | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Location:
    customer: str
    name: str
    address: Address | None = None
    time_zone: str | None = None
    preferred_language: str | None = None
    announcement_language: str | None = None
    #: Earlier names of this location (a rename is an update).
    previously: tuple[str, ...] = ()
    state: Presence = "present"
    source: Source | None = field(default=None, compare=False)
    live: LiveRef | None = field(default=None, compare=False)
    #: Webex Calling enabled here (desired: defaults to whether the customer holds a calling
    #: package; live: None until the calling reads fill it). Not compared until the planner
    #: can enable or disable calling.
    calling: bool | None = field(default=None, compare=False)
    #: E.164 numbers the partner manages here, sorted; None: not managed (only checked
    #: against the inventory). Not compared until the planner can add or remove numbers.
    numbers: tuple[str, ...] | None = field(default=None, compare=False)
    #: Live only: the inventory number listed as ``mainNumber`` (the calling line ID), which
    #: Webex refuses to remove, and the PSTN connection type when it was read (``None``: not).
    main_number: str | None = field(default=None, compare=False)
    pstn: str | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.customer, self.name)


@dataclass(frozen=True, slots=True)
class User:
    customer: str
    #: Lower-cased.
    email: str
    first_name: str | None = None
    last_name: str | None = None
    package: str | None = None
    location: str | None = None
    phone_number: str | None = None
    extension: str | None = None
    #: Sorted Control Hub role names.
    roles: tuple[str, ...] = ()
    state: Presence = "present"
    source: Source | None = field(default=None, compare=False)
    live: LiveRef | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.customer, self.email)


@dataclass(frozen=True, slots=True)
class Settings:
    prune: bool = False
    max_delete_percent: float = 10.0
    max_update_percent: float = 30.0
    concurrency: int = 8
    max_requests_per_second: float = 10.0
    #: How long apply waits at a location whose calling it enabled for the numbers its PSTN
    #: provider supplies (``providerNumbersWaitSeconds``), before failing the users that take them.
    provider_numbers_wait: float = 600.0


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Live objects of one ``kind`` under one key of a customer (a location name, a lower-cased
    email), which the live ``State`` holds only one of: Webex may not enforce the key. ``ids``:
    the server IDs of all of them, sorted."""

    kind: Literal["location", "user"]
    customer: str
    key: str
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class State:
    """A whole estate: desired (from YAML) or live (from Partner Hub). ``duplicates``: live
    keys found more than once (only the first is in ``locations``/``users``); ``bare_people``:
    see below. Live only too: ``extensions``, (customer, location name, extension) → email of a
    person of the org who is not a user (no subscription) and holds that extension there;
    ``role_names``, the role names ``GET /roles`` lists (None: not read)."""

    templates: Mapping[str, Template] = field(default_factory=dict)
    customers: Mapping[str, Customer] = field(default_factory=dict)
    locations: Mapping[tuple[str, str], Location] = field(default_factory=dict)
    users: Mapping[tuple[str, str], User] = field(default_factory=dict)
    settings: Settings = Settings()
    duplicates: tuple[Duplicate, ...] = ()
    #: Live only: lower-cased email → the customer whose org has a person with it who is no
    #: subscriber there (the admin provisioning made; a user whose subscription was removed,
    #: since Webex keeps the person). An email belongs to one org, so it cannot join another.
    bare_people: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    role_names: frozenset[str] | None = None
