"""Rule parity: every refusal the sandbox can give, and what on this side foresees it.

The promise is that a plan which is not blocked applies without a 4xx: whatever Partner Hub (and
so the sandbox, which is never kinder) refuses to a planned write is caught first by
``validate`` (offline, at the object's FILE:LINE) or ``plan`` (online), or cannot be sent at
all because of how the client builds its requests. ``TABLE`` writes that down, one row per
refusal message of the sandbox (its values shown as ``{}``); ``tests/test_parity.py`` reads the
sandbox's source and fails when a refusal has no row, or a row names a counterpart that does
not exist. A refusal added to the sandbox therefore needs its counterpart, or an honest
``GAP`` row, before the suite passes.

How each refusal is foreseen (``how``):

- ``VALIDATE``: a rule of ``reconciler validate`` (a JSON Schema keyword or a check function);
- ``PLAN``: the planner, the live read it works from, or ``plan --precheck``;
- ``BUILT``: the client never sends such a request (its bodies are built from valid objects);
- ``CLIENT``: not a mistake in the YAML: the client waits, retries or refreshes (429, 5xx, 401);
- ``READ``: a refusal of a read or a token grant, never of a planned write;
- ``GAP``: not foreseen yet; ``note`` says what stops it, and what would foresee it.

``rule`` names the counterpart: ``module:attribute`` (an importable object) or
``schemas/FILE#/json/pointer`` (a keyword of a shipped schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

How = Literal["VALIDATE", "PLAN", "BUILT", "CLIENT", "READ", "GAP"]


@dataclass(frozen=True, slots=True)
class Parity:
    """One sandbox refusal and what foresees it."""

    refusal: str
    how: How
    rule: str
    note: str = ""


_CHECKS = "reconciler.desired.checks"
_BODIES = "reconciler.bodies"
_LIVE = "reconciler.live:read_live"
_PRECHECK = "reconciler.workflow.prechecks:run_prechecks"
_SESSION = "reconciler.api.http:ApiSession.request"
_PAGES = "reconciler.api.client:WebexClient"
_SANDBOX_ADMIN = "reconciler.workflow.connect:open_client"
_CALLING_PLAN = "reconciler.planner.calling:plan_calling"
_COUNTRIES = "reconciler.planner.countries:with_countries"
_CALLING_BODIES = "reconciler.calling_bodies"
_CALLING_OPS = "reconciler.operations.calling:CallingOperations"
_DISABLE = "reconciler.api.client:WebexClient.disable_calling_location"
_CLIENT_NUMBERS = "reconciler.api.client:WebexClient.add_numbers"
_CLIENT_REMOVE = "reconciler.api.client:WebexClient.remove_numbers"

TABLE: tuple[Parity, ...] = (
    # --- wholesale customers -------------------------------------------------------------------
    Parity("Customer not found.", "PLAN", _LIVE, "writes address customers read in the same run"),
    Parity("Unknown status '{}'.", "READ", _PAGES, "a list filter"),
    Parity(
        "A customer with externalId '{}' already exists.",
        "PLAN",
        "reconciler.planner:plan",
        "a create only for an externalId no live customer has; duplicates in YAML: validate",
    ),
    Parity(
        "Unknown provisioningId '{}'.",
        "PLAN",
        _PRECHECK,
        "a template without provisioningId blocks the plan; a wrong one fails the precheck",
    ),
    Parity("Organization '{}' not found.", "BUILT", f"{_BODIES}:customer_create", "no orgId"),
    Parity(
        "The organization is already a wholesale customer.",
        "BUILT",
        f"{_BODIES}:customer_create",
        "no orgId is sent",
    ),
    Parity(
        "The email is already associated with an existing user.",
        "PLAN",
        "reconciler.planner.emails:foreign_emails",
        "a person of another org the plan read (a user moved between customers: Webex keeps "
        "the person when its subscription is removed) blocks the create; an email taken "
        "elsewhere in Webex only Partner Hub knows: plan --precheck asks it",
    ),
    Parity(
        "The customer is {}; try again later.",
        "PLAN",
        "reconciler.workflow.apply:plan_after_jobs",
        "customers in flight are waited for, nothing is issued for them",
    ),
    Parity("{} is not a field of this request.", "BUILT", f"{_BODIES}:for_change"),
    Parity(
        "provisioningParameters.calling is mandatory when adding calling packages.",
        "VALIDATE",
        f"{_CHECKS}:customer_rules",
        "calling packages need a headquarters",
    ),
    # --- organizations, locations, people --------------------------------------------------------
    Parity("Organization not found.", "READ", _PAGES),
    Parity("Role not found.", "READ", _PAGES),
    Parity(
        "The organization is not managed by the caller.",
        "PLAN",
        _LIVE,
        "only orgs of customers read from live are written to",
    ),
    Parity(
        "A location named '{}' already exists.",
        "VALIDATE",
        f"{_CHECKS}:location_name_rules",
        "names unique per customer ignoring case; a live one that differs only in case is "
        "matched by the planner (reconciler.planner.locations: a rename to the YAML's case)",
    ),
    Parity("Location not found.", "PLAN", _LIVE),
    Parity("At most 85 IDs may be given in id.", "READ", _PAGES),
    Parity("Person not found.", "PLAN", _LIVE),
    Parity("Unable to find location.", "PLAN", _LIVE, "location IDs come from live or a create"),
    Parity(
        "The locationId can only be set when assigning a calling license to a user.",
        "VALIDATE",
        f"{_CHECKS}:user_rules",
        "location, phoneNumber and extension are refused on a user without a calling package",
    ),
    Parity(
        "Unknown role '{}'.",
        "PLAN",
        "reconciler.planner.users:plan_users",
        "a user's role names are checked against GET /roles (read once, only when a user in "
        "scope declares roles); the client sends only the IDs that list gives",
    ),
    Parity("grant_type must be refresh_token.", "READ", "reconciler.api.auth:TokenProvider"),
    Parity("Invalid client credentials.", "READ", "reconciler.api.auth:TokenProvider"),
    Parity("Invalid refresh token.", "READ", "reconciler.api.auth:TokenProvider"),
    # --- identity: rename an organization ----------------------------------------------------
    Parity(
        "Input JSON must contain schema: {}.",
        "BUILT",
        "reconciler.api.client:WebexClient.rename_organization",
    ),
    Parity(
        "displayName is required and must be a non-empty string.",
        "VALIDATE",
        "schemas/customer.schema.json#/properties/name/minLength",
        "the name sent is the customer's name",
    ),
    Parity(
        "preferredLanguage must be a string.",
        "BUILT",
        "reconciler.api.client:WebexClient.rename_organization",
        "never sent",
    ),
    # --- wholesale subscribers -------------------------------------------------------------------
    Parity("sortBy must be created or lastStatusChange; sortOrder ASC or DESC.", "READ", _PAGES),
    Parity("Query parameter {} must be epoch milliseconds or ISO 8601.", "READ", _PAGES),
    Parity(
        "The customer is {}: its organization is not ready.",
        "PLAN",
        "reconciler.planner.customers:plan_customer",
        "the users of a customer without an organization wait for it",
    ),
    Parity(
        "attendant_console is dependent on: {}.",
        "VALIDATE",
        f"{_CHECKS}:user_rules",
        "the user's package is one the customer holds, whose own dependencies customer_rules "
        "checks",
    ),
    Parity(
        "Package {} is not provisioned for this customer.",
        "VALIDATE",
        f"{_CHECKS}:user_rules",
    ),
    Parity(
        "A primary phone number, extension, or both must be supplied when assigning a "
        "calling-enabled package.",
        "VALIDATE",
        f"{_CHECKS}:user_rules",
    ),
    Parity(
        "The phone number {} is already in use.",
        "VALIDATE",
        f"{_CHECKS}:number_rules",
        "within the YAML; a number held by a person outside it fails plan --precheck",
    ),
    Parity(
        "A locationId is required: the organization has no location.",
        "VALIDATE",
        f"{_CHECKS}:customer_rules",
        "a calling customer has a headquarters",
    ),
    Parity(
        "The extension {} is already in use at this location.",
        "PLAN",
        "reconciler.planner.extensions:check_extensions",
        "held live by a user or a person without a subscription (from the people read); "
        "two users of the YAML: validate (reconciler.desired.checks:number_rules)",
    ),
    Parity(
        "Either packages or package field is required.", "BUILT", f"{_BODIES}:subscriber_update"
    ),
    Parity("Subscriber not found.", "PLAN", _LIVE),
    # --- the request itself ----------------------------------------------------------------------
    Parity("The request body must be a JSON object.", "BUILT", _SESSION),
    Parity("The request body is not valid JSON.", "BUILT", _SESSION),
    Parity("Query parameter {} must be a non-negative integer.", "READ", _PAGES),
    Parity("Query parameter {} must be at most {}.", "READ", _PAGES),
    Parity("Query parameter {} must be true or false, got '{}'.", "READ", _PAGES),
    Parity("The request body exceeds the limit of {} bytes.", "BUILT", _SESSION),
    Parity("The request body nests deeper than {} levels.", "BUILT", _SESSION),
    Parity(
        "The sandbox admin API refuses requests with an Origin header.",
        "READ",
        _SANDBOX_ADMIN,
        "the sandbox's own admin API, never a planned write to Partner Hub",
    ),
    Parity(
        "The sandbox admin API takes only application/json bodies.",
        "READ",
        _SANDBOX_ADMIN,
        "the sandbox's own admin API, never a planned write to Partner Hub",
    ),
    Parity("Query parameter max must be at least 1.", "READ", _PAGES),
    Parity(
        "The request requires a valid access token set in the Authorization request header.",
        "CLIENT",
        _SESSION,
        "a 401 refreshes the token once",
    ),
    Parity(
        "The server understood the request, but refused to fulfill it: the token lacks the "
        "scope {}.",
        "CLIENT",
        "reconciler.scopes:missing_write_scopes",
        "not a mistake in the YAML: apply compares the scopes a refresh grant's answer lists "
        "with the write scopes its plan uses and stops before its first write; a token given "
        "as is (WEBEX_TOKEN) cannot show its write scopes, which `doctor` says",
    ),
    Parity("Internal server error.", "CLIENT", _SESSION, "5xx: retried, or looked up by key"),
    Parity(
        "Too many requests have been sent in a given amount of time.",
        "CLIENT",
        "reconciler.api.limits:Limiter",
        "the shared limiter slows down and waits Retry-After",
    ),
    Parity("The server is overloaded or failed; try again.", "CLIENT", _SESSION),
    # --- request bodies, field by field -----------------------------------------------------------
    Parity("{}{} must be a string.", "BUILT", f"{_BODIES}:customer_create"),
    Parity(
        "{}{} must not be empty.",
        "VALIDATE",
        "reconciler.desired.schemas:check",
        "minLength; names and address lines of only spaces: 'must not be blank'",
    ),
    Parity("{}{} must be an object.", "BUILT", f"{_BODIES}:customer_create"),
    Parity(
        "{}country must be an ISO2 country code, 2 characters.",
        "VALIDATE",
        f"{_CHECKS}:check_country",
    ),
    Parity("{}{} must be a list of package names.", "BUILT", f"{_BODIES}:customer_create"),
    Parity(
        "{}{}: unknown package '{}'.",
        "VALIDATE",
        "schemas/customer.schema.json#/$defs/customerPackage/enum",
    ),
    Parity(
        "{}name of a calling location has at most 80 characters.",
        "VALIDATE",
        "schemas/location.schema.json#/properties/name/maxLength",
    ),
    Parity("{}language must look like en_us.", "VALIDATE", f"{_CHECKS}:check_language"),
    Parity(
        "provisioningParameters.calling is mandatory when provisioning calling packages.",
        "VALIDATE",
        f"{_CHECKS}:customer_rules",
    ),
    Parity(
        "Either packages or package field is required but not both.",
        "BUILT",
        f"{_BODIES}:subscriber_create",
    ),
    Parity(
        "{}primaryPhoneNumber must be an E.164 number.",
        "VALIDATE",
        "schemas/user.schema.json#/properties/phoneNumber/pattern",
    ),
    Parity(
        "{}extension must be 2 to 10 digits.",
        "VALIDATE",
        "schemas/user.schema.json#/properties/extension/pattern",
    ),
    Parity(
        "name has at most 256 characters.",
        "VALIDATE",
        "schemas/location.schema.json#/properties/name/maxLength",
    ),
    Parity(
        "emails must hold valid email addresses.",
        "VALIDATE",
        "schemas/user.schema.json#/properties/email/pattern",
    ),
    Parity("phoneNumbers must be a list of {type, value}.", "BUILT", f"{_BODIES}:person_update"),
    Parity("addresses must be a list of objects.", "BUILT", f"{_BODIES}:person_update"),
    Parity("loginEnabled must be a boolean.", "BUILT", f"{_BODIES}:login_enabled"),
    Parity(
        "{}{} is required.",
        "VALIDATE",
        "reconciler.desired.schemas:check",
        "required fields; a location's state/postalCode by its country's configuration: "
        "reconciler.planner.countries:with_countries blocks what the country requires",
    ),
    Parity(
        "{}{} exceeds the {} character limit.",
        "VALIDATE",
        "schemas/customer.schema.json#/$defs/address/properties/line1/maxLength",
    ),
    Parity("{} is dependent on: {}.", "VALIDATE", f"{_CHECKS}:PACKAGE_NEEDS"),
    Parity("packages must name at least one package.", "VALIDATE", f"{_CHECKS}:customer_rules"),
    Parity(
        "package: unknown package '{}'.",
        "VALIDATE",
        "schemas/user.schema.json#/$defs/subscriberPackage/enum",
    ),
    Parity(
        "packages currently accepts exactly one package.",
        "BUILT",
        f"{_BODIES}:subscriber_create",
    ),
    Parity(
        "email is not a valid email address.",
        "VALIDATE",
        "schemas/user.schema.json#/properties/email/pattern",
    ),
    Parity(
        "address.country must be an ISO-3166 2-letter country code.",
        "VALIDATE",
        f"{_CHECKS}:check_country",
    ),
    Parity("{} must be a list of strings.", "BUILT", f"{_BODIES}:person_update"),
    Parity(
        "customerInfo.name cannot include the % character.",
        "VALIDATE",
        "schemas/customer.schema.json#/properties/name/pattern",
    ),
    Parity(
        "customerInfo.primaryEmail is not a valid email address.",
        "VALIDATE",
        "schemas/customer.schema.json#/properties/adminEmail/pattern",
    ),
    Parity(
        "customerInfo.language must be {ISO-639-1}_{ISO-3166} or {ISO-639-1}.",
        "VALIDATE",
        f"{_CHECKS}:check_language",
    ),
    # --- Webex Calling (telephony) ----------------------------------------------------------
    Parity(
        (
            "Location {} is not enabled for Webex Calling: enable it with POST "
            "/telephony/config/locations first."
        ),
        "PLAN",
        _CALLING_PLAN,
        "a calling location not listed live gets an enable step its users wait for",
    ),
    Parity(
        "The phone number, {}, is not available in the location {}.",
        "PLAN",
        _CALLING_PLAN,
        "a number in no inventory of the user's location, nor added by the plan, is blocked; at "
        "a location whose calling the plan enables (its inventory is empty until then) the "
        "plan warns with the numbers the PSTN provider must supply, and apply waits for them "
        "(reconciler.operations.provider:ProviderNumbers) and fails the user unsent if they "
        "do not arrive",
    ),
    Parity(
        "The phone number {} is in use.",
        "PLAN",
        _CALLING_PLAN,
        "a number another person holds and keeps is blocked at the user's FILE:LINE",
    ),
    Parity("address.state is required for this country.", "PLAN", _COUNTRIES),
    Parity("address.postalCode is required for this country.", "PLAN", _COUNTRIES),
    Parity("address.state '{}' is not a state of this country.", "PLAN", _COUNTRIES),
    Parity("timeZone '{}' is not a time zone of this country.", "PLAN", _COUNTRIES),
    Parity(
        (
            "The location of a Webex Calling user is changed with the move users job (POST "
            "/telephony/config/jobs/person/moveLocation)."
        ),
        "PLAN",
        "reconciler.planner.users:MOVE_NOTE",
        "a calling user leaving a calling location is moved by the job, never a People PUT",
    ),
    Parity(
        "The headquarters location of an organization cannot be deleted.",
        "PLAN",
        _CALLING_PLAN,
        "a delete of the location named as headquarters is blocked at its FILE:LINE; no API "
        "says which location provisioning made the headquarters, so once `headquarters:` names "
        "another location, a delete of the first one is not foreseen (`headquarters` is "
        "create-only: keep it)",
    ),
    Parity(
        "Disabling Webex Calling for a Webex Calling enabled location is required prior to "
        "deleting a location.",
        "PLAN",
        _CALLING_PLAN,
        "a live calling location's delete waits for a disable-calling step",
    ),
    Parity("Attribute 'User ID' is required.", "BUILT", f"{_CALLING_BODIES}:move_user"),
    Parity("forceDelete must be a boolean.", "BUILT", _DISABLE),
    Parity("locationId is required.", "BUILT", _DISABLE),
    Parity("Job not found.", "PLAN", _CALLING_OPS, "job IDs come from the answer that started it"),
    Parity(
        "Safe delete checks failed.",
        "PLAN",
        _PRECHECK,
        "plan --precheck runs precheckForDeletion for each planned disable (a POST that "
        "changes nothing, the one ID-carrying path the read-only client allows); blocking "
        "counts other than the users the plan itself moves out or removes first fail it; "
        "without --precheck, plan blocks a disable where live calling users stay (one no "
        "YAML declares with prune off, a person without a subscription holding an extension: "
        "reconciler.planner.stayers), the one blocking reason the sandbox models",
    ),
    Parity(
        "Location Not Found",
        "PLAN",
        _LIVE,
        "a move's target is a live calling location or one the plan enables first",
    ),
    Parity("Query parameter {} must be true or false.", "READ", _PAGES),
    Parity(
        "Number {} does not belong to this location.",
        "PLAN",
        _CALLING_OPS,
        "a number is removed only when the location's inventory lists it",
    ),
    Parity(
        "phoneNumbers must be a non-empty list of E.164 numbers.",
        "VALIDATE",
        "schemas/location.schema.json#/properties/numbers",
    ),
    Parity("numberType must be TOLLFREE, DID or MOBILE.", "READ", _PAGES),
    Parity(
        "A number assigned to a user cannot be removed.",
        "PLAN",
        "reconciler.planner.order:ordered",
        "a number's removal waits for the user change that releases it",
    ),
    Parity(
        "Phone number {} is not in E.164 format.",
        "VALIDATE",
        "schemas/location.schema.json#/properties/numbers",
    ),
    Parity(
        (
            "Numbers of location {} come from its PSTN provider ({}); they cannot be added or "
            "removed by API."
        ),
        "PLAN",
        "reconciler.planner.pstn:with_pstn",
        "plan reads the PSTN connection (GET /telephony/pstn/locations/{id}/connection, as "
        "wxc_sdk reads it) of each live calling location whose numbers it changes and blocks "
        "an integrated one at its FILE:LINE; a location the plan enables has none to read "
        "yet: apply reads it after the enable and fails the adds unsent",
    ),
    Parity(
        "A location's main number cannot be removed.",
        "PLAN",
        _CALLING_PLAN,
        "the inventory read marks the mainNumber; a main number left out of a location's "
        "numbers is never planned for removal and blocks at the location's FILE:LINE",
    ),
    Parity("state must be ACTIVE or INACTIVE.", "BUILT", _CLIENT_NUMBERS),
    Parity(
        "{} is already in use.",
        "VALIDATE",
        "reconciler.desired.calling:calling_rules",
        "a number belongs to one location of the estate",
    ),
    Parity("At most {} phone numbers may be removed at a time.", "BUILT", _CLIENT_REMOVE),
    Parity("state must be ACTIVE, INACTIVE or Default.", "BUILT", _CLIENT_NUMBERS),
    Parity(
        "{} is required.", "PLAN", _CALLING_PLAN, "enabling calling needs a time zone and language"
    ),
    Parity("Country not found.", "READ", _PAGES),
    Parity(
        "name of a calling location has at most 80 characters.",
        "VALIDATE",
        "schemas/location.schema.json#/properties/name",
    ),
    Parity("address.{} is required.", "BUILT", f"{_CALLING_BODIES}:enable_calling"),
    Parity("address is required.", "BUILT", f"{_CALLING_BODIES}:enable_calling"),
    Parity(
        "Location {} is already enabled for Webex Calling.",
        "PLAN",
        _CALLING_OPS,
        "planned only for a location not listed live; a 409 after an interrupted run is done",
    ),
    Parity(
        "Country {} is not supported for Webex Calling.",
        "PLAN",
        _COUNTRIES,
        "a country whose configuration read answers 404 (INFERRED: how Webex answers a "
        "country it does not serve) blocks enabling calling at the location's FILE:LINE",
    ),
    Parity("{} must look like en_us.", "VALIDATE", f"{_CHECKS}:check_language"),
    Parity("order must sort by name, asc or desc.", "READ", _PAGES),
    Parity("address.{} must be a string.", "BUILT", f"{_CALLING_BODIES}:enable_calling"),
)


def gaps() -> tuple[Parity, ...]:
    """The refusals nothing foresees yet."""
    return tuple(p for p in TABLE if p.how == "GAP")
