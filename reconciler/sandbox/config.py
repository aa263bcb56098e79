"""Sandbox settings: tokens, faults, and the named switches for undocumented behaviour.

Every behaviour the Partner Hub notes mark INFERRED or UNCONFIRMED is a field here, so the
client can be tested against each reading. Defaults are the likeliest reading.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler.sandbox.countries import COUNTRIES, Country

#: The package enums of the official spec (``WholesalePackagesCustomer`` and the subscriber's).
CUSTOMER_PACKAGES = (
    "common_area_calling",
    "webex_calling",
    "webex_meetings",
    "webex_suite",
    "webex_voice",
    "cx_essentials",
    "webex_calling_standard",
    "cisco_calling_plan",
    "attendant_console",
    "cx_premium_agent",
    "cx_standard_agent",
    "cx_voice_ports",
    "cx_ai_assistant",
    "webex_ai_agent",
)
SUBSCRIBER_PACKAGES = (
    "webex_calling",
    "webex_meetings",
    "webex_suite",
    "webex_voice",
    "cx_essentials",
    "webex_calling_standard",
    "attendant_console",
    "cx_premium_agent",
    "cx_standard_agent",
)
#: Every customer package except ``webex_meetings`` needs ``provisioningParameters.calling``
#: (INFERRED: the notes' reading of "calling packages").
CALLING_CUSTOMER_PACKAGES = frozenset(CUSTOMER_PACKAGES) - {"webex_meetings"}

#: Every subscriber package except ``webex_meetings`` is calling-enabled (INFERRED).
CALLING_SUBSCRIBER_PACKAGES = frozenset(SUBSCRIBER_PACKAGES) - {"webex_meetings"}


@dataclass(frozen=True)
class SandboxConfig:
    """How one sandbox instance behaves.

    Store and identity:
      ``db`` — SQLite file path, or ``":memory:"``. ``seed`` — makes minted IDs and every
      random fault reproducible. ``clock`` — seconds (wall-clock-like; persisted as due times
      and rendered as ``created`` timestamps), injected by tests. ``sleep`` — used for latency.

    Auth: ``full_token`` holds every scope, ``read_token`` only the ``*_read`` scopes.
    ``/access_token`` accepts ``client_id``/``client_secret`` with a refresh token from
    ``refresh_tokens`` (refresh token → the access token it yields).

    Faults (seeded): ``latency_ms`` per request; ``rate_limit`` requests per second before
    429 + ``Retry-After``; ``fail_rate`` share of requests answered 5xx without being
    performed; ``drop_rate`` share of writes performed and committed, then the connection
    dropped (``drop_mode``: ``"raise"`` raises :class:`ConnectionDropped` from the app, which
    httpx's ASGITransport hands to the client as a transport error; ``"close"`` starts the
    response and closes the connection, for uvicorn); ``provision_seconds`` a customer stays
    ``provisioning``/``updating``/``deleting``; ``provision_error_rate`` /
    ``provision_partial_rate`` shares of customer provisionings that end in ``error`` /
    ``provisioned_with_errors``.

    Switches (behaviour the public sources leave open; default = likeliest):
      ``duplicate_external_id_status`` 409 — POST of an externalId already in use.
      ``unknown_provisioning_id_status`` 400 — provisioningId of no template.
      ``email_taken_status`` 409 — email of a person in another org (errorCode 10022).
      ``customer_busy_status`` 423 — PUT/DELETE while the customer is provisioning/updating/
      deleting (with ``Retry-After``).
      ``customer_not_ready_status`` 409 — subscriber or location for a customer whose org does
      not exist yet (``provisioning``, ``error``) or is being deleted.
      ``calling_location_delete_status`` 409 — DELETE of a calling-enabled location.
      ``duplicate_location_name_status`` 409, or ``None`` to allow duplicate names in an org.
      ``put_extra_fields`` ``"ignore"`` — fields outside a request's schema, at any level
      (a customer PUT's ``provisioningId``, an ``address.zip``), are dropped on every route;
      ``"reject"`` answers 400 naming each.
      ``query_bool_ignore_case`` False — a boolean query parameter is ``true`` or ``false``;
      True also takes ``True``, ``FALSE``… (anything else is a 400 either way).
      ``precheck_info_as_list`` False — precheck 200 ``info`` is an object as the schema says;
      True gives the list the official example shows.
      ``subscriber_package_must_be_on_customer`` True — a subscriber package the customer
      does not hold is refused (400).
      ``location_shows_announcement_language`` False — GET /locations omits it.
      ``next_link_max_null`` False — True adds the real-world ``max=null`` defect to ``Link``.
      ``calling_customer_packages`` / ``calling_subscriber_packages`` — which packages count
      as calling (need a calling location / a phone number or extension).
    Calling (the Cloud Calling extracts leave these open):
      ``implicit_calling_locations`` False — Webex: a calling subscriber landing in a plain
      location, a number not in its location's inventory, and a People PUT changing a calling
      user's ``locationId`` are refused. True is a kinder reading kept for comparison: the
      subscriber makes the location a calling location and puts its number into that
      location's inventory, and the People PUT moves it.
      ``default_pstn`` ``"LOCAL_GATEWAY"`` — the PSTN connection of a location no seed fact
      names (``LOCAL_GATEWAY``, ``NON_INTEGRATED_CCP``: numbers managed by API;
      ``INTEGRATED_CCP``, ``CISCO_CALLING_PLAN``: numbers come from the provider).
      ``customer_pstn`` — PSTN connection by customer externalId (for customers made by
      API; a seed names it per customer or location).
      ``provider_numbers`` — (externalId, location name) → the numbers an integrated
      provider pushes into that location's inventory once it is a calling location (the
      provider's sync, which no API call of the partner's makes).
      ``provider_sync_seconds`` 0.0 — how long after calling is enabled those numbers
      arrive, on the injected clock (INFERRED: no source says how long a provider's sync
      takes; 0 pushes them with the enable).
      ``integrated_numbers_status`` 400 — add/remove numbers at an integrated location.
      ``added_number_state`` ``"ACTIVE"`` — state of an added number the body leaves open.
      ``people_location_change_status`` 400 — a People PUT changing a calling user's
      ``locationId`` (Webex mode only).
      ``people_location_without_calling_status`` 400 — a People PUT setting the
      ``locationId`` of a person without a calling line ("The locationId can only be set
      when assigning a calling license to a user", PUT /people; the status is INFERRED).
      ``headquarters_delete_status`` 409 — DELETE of the headquarters location.
      ``headquarters_disable_blocked`` True — disabling calling at the headquarters is
      blocked even while other calling locations exist (it can never be deleted anyway).
      ``number_taken_status`` 409 — adding a number another location or org holds.
      ``assigned_number_remove_status`` 409 — removing a number a person owns.
      ``disable_calling_blocked`` ``"job_fails"`` — a disable-calling job with blocking
      reasons (users, last calling location) ends ``FAILED``; ``"refuse"`` answers 409.
      ``move_keeps_number`` True — a move without ``phoneNumber`` takes the user's number
      to the target location's inventory (the extract: "the existing phone number will be
      moved"); False refuses the move (the number must be given and in the target).
      ``job_seconds`` — how long a telephony job runs on the injected clock.
      ``subscriber_remove_releases_calling`` True — removing a subscriber ("Removes the
      mapping between Wholesale Subscriber and a Webex user") leaves the person in the org
      without its package's licences: its number and extension are released and it is no
      longer a calling user of its location (INFERRED from Control Hub, where taking a
      user's Webex Calling licence removes its number and extension); False keeps both, so
      the number stays owned and the person still blocks its calling location's delete.
      ``leaving_calling_releases_line`` True — a subscriber PUT onto a package without
      calling (e.g. ``webex_meetings``) releases the person's number and extension, as
      taking the Webex Calling licence does in Control Hub (INFERRED, like the above); a
      later calling package then provisions a new line where its parameters say. False
      keeps the line (the person stays a calling user of its old location).
      ``countries`` — the country table behind ``GET /telephony/config/countries/{code}``
      (see ``countries.py`` for each entry's source or INFERRED mark); a code not in it is
      answered 404 (INFERRED).
      ``location_address_by_country`` True — ``POST /locations`` requires ``state`` /
      ``postalCode`` as the country's configuration says (``stateRequired``,
      ``zipCodeRequired``), the same facts the planner reads; the /locations request schema
      lists both as required for every country, so False requires both everywhere (INFERRED:
      which of the two documents Webex enforces for /locations is unconfirmed).

    Limits: ``max_body_bytes`` of a ``/v1`` request body (413 past it, read in chunks, never
    buffered whole); ``admin_max_body_bytes`` of an admin body (``/_sandbox/seed`` of a large
    estate). ``admin_cross_origin`` False — the admin API refuses what a web page could send
    (an ``Origin`` header: 403; a body that is not ``application/json``: 415); True allows it.
    Page sizes: wholesale customers default 50, max 100 (undocumented); subscribers 50/100;
    locations 500/1000; people 100/1000; calling locations 100/1000 (undocumented);
    numbers 2000 (documented default) / 2000 (undocumented maximum).
    """

    db: str = ":memory:"
    full_token: str = field(default="sandbox-full", repr=False)
    read_token: str = field(default="sandbox-read", repr=False)
    client_id: str = "sandbox-client"
    client_secret: str = field(default="sandbox-secret", repr=False)
    refresh_tokens: tuple[tuple[str, str], ...] | None = field(default=None, repr=False)
    latency_ms: float = 0.0
    rate_limit: float | None = None
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    drop_mode: Literal["raise", "close"] = "raise"
    provision_seconds: float = 1.0
    provision_error_rate: float = 0.0
    provision_partial_rate: float = 0.0
    seed: int = 0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    base_url: str | None = None

    duplicate_external_id_status: int = 409
    unknown_provisioning_id_status: int = 400
    email_taken_status: int = 409
    customer_busy_status: int = 423
    customer_not_ready_status: int = 409
    calling_location_delete_status: int = 409
    duplicate_location_name_status: int | None = 409
    put_extra_fields: Literal["ignore", "reject"] = "ignore"
    query_bool_ignore_case: bool = False
    precheck_info_as_list: bool = False
    subscriber_package_must_be_on_customer: bool = True
    location_shows_announcement_language: bool = False
    next_link_max_null: bool = False
    calling_customer_packages: frozenset[str] = CALLING_CUSTOMER_PACKAGES
    calling_subscriber_packages: frozenset[str] = CALLING_SUBSCRIBER_PACKAGES

    implicit_calling_locations: bool = False
    default_pstn: str = "LOCAL_GATEWAY"
    customer_pstn: Mapping[str, str] = field(default_factory=dict)
    provider_numbers: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    provider_sync_seconds: float = 0.0
    integrated_numbers_status: int = 400
    added_number_state: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"
    people_location_change_status: int = 400
    people_location_without_calling_status: int = 400
    headquarters_delete_status: int = 409
    headquarters_disable_blocked: bool = True
    number_taken_status: int = 409
    assigned_number_remove_status: int = 409
    disable_calling_blocked: Literal["job_fails", "refuse"] = "job_fails"
    move_keeps_number: bool = True
    job_seconds: float = 1.0
    subscriber_remove_releases_calling: bool = True
    leaving_calling_releases_line: bool = True
    countries: Mapping[str, Country] = field(default_factory=lambda: COUNTRIES)
    location_address_by_country: bool = True
    max_body_bytes: int = 1 << 20
    admin_max_body_bytes: int = 64 << 20
    admin_cross_origin: bool = False

    customers_page: tuple[int, int] = (50, 100)
    subscribers_page: tuple[int, int] = (50, 100)
    locations_page: tuple[int, int] = (500, 1000)
    people_page: tuple[int, int] = (100, 1000)
    calling_locations_page: tuple[int, int] = (100, 1000)
    numbers_page: tuple[int, int] = (2000, 2000)

    def access_tokens(self) -> dict[str, str]:
        """Refresh token → access token accepted by ``/access_token``."""
        if self.refresh_tokens is not None:
            return dict(self.refresh_tokens)
        return {"sandbox-refresh": self.full_token, "sandbox-read-refresh": self.read_token}
