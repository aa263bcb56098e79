"""Doctor: the first contact with a tenant, read-only, one check per line.

It opens the same read-only client as ``plan`` (every write is refused before it is sent;
only the customer precheck ``POST /wholesale/customers/validate`` passes) and checks, in order:

- ``credentials``: a token is had (the refresh grant answered) and Partner Hub accepts it;
- ``scopes for plan`` / ``scopes for apply``: every scope the command needs for this estate
  (:func:`needed_scopes`), each missing one named. With the refresh grant the scopes are the
  ``scope`` field of its token answer, which lists every scope the token carries, the write
  ones included. Webex has no way to ask what a plain access token carries, so with
  ``WEBEX_TOKEN`` each read scope is proven by one read (a 403 names it missing) and the write
  scopes cannot be seen without writing: a warning, not a failure;
- ``partner org``: the organization listed by ``GET /organizations`` that is not a wholesale
  customer's;
- ``template NAME``: its provisioningId through the customer precheck (an address of a
  customer of the estate, nothing else, so no externalId or email can collide);
- ``country CC``: the Webex Calling configuration of each distinct country of the estate's
  customers and locations (``GET /telephony/config/countries/CC``);
- ``rate limits``: the rate-limit headers the answers carried (Webex publishes no limits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler import bodies
from reconciler.api import RefreshGrant, WebexClient
from reconciler.errors import ApiError, AuthError, BadRequest, Conflict, NotFound
from reconciler.model import State, has_calling
from reconciler.scopes import CALLING_READS, CALLING_WRITES, OPTIONAL_READS, READS, WRITES
from reconciler.workflow.connect import SandboxTarget, Target
from reconciler.workflow.ratewatch import RateWatch
from reconciler.workflow.seams import REAL_SEAMS, Seams
from reconciler.workflow.session import EVERY_CUSTOMER, open_session

Status = Literal["ok", "warn", "FAIL"]
Command = Literal["plan", "apply"]


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the diagnosis; only ``FAIL`` fails it."""

    status: Status
    name: str
    detail: str

    def __str__(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "FAIL")


#: The one read that proves each read scope (a 403 on it: the scope is missing).
PROBES: Mapping[str, tuple[str, dict[str, str]]] = {
    "spark-admin:wholesale_customers_read": ("/wholesale/customers", {"max": "1"}),
    "spark-admin:wholesale_subscribers_read": ("/wholesale/subscribers", {"max": "1"}),
    "spark-admin:locations_read": ("/locations", {"max": "1"}),
    "spark-admin:people_read": ("/people", {"max": "1"}),
    "spark-admin:roles_read": ("/roles", {}),
    "spark-admin:organizations_read": ("/organizations", {}),
}


def countries_of(desired: State) -> list[str]:
    """The distinct countries of the estate's present customers and locations."""
    found = {c.address.country for c in desired.customers.values() if c.state == "present"}
    found |= {
        loc.address.country
        for loc in desired.locations.values()
        if loc.address is not None and loc.state == "present"
    }
    return sorted({c.strip().upper() for c in found if c and c.strip()})


def needed_scopes(desired: State, command: Command) -> dict[str, str]:
    """Scope → what for: what ``command`` needs for this estate (the telephony scopes only
    when a customer holds a Webex Calling package)."""
    calling = any(has_calling(c.packages) for c in desired.customers.values())
    needed = {**READS, **(CALLING_READS if calling else {})}
    if command == "apply":
        needed |= {**WRITES, **(CALLING_WRITES if calling else {})}
    return needed


async def doctor_directory(
    directory: Path, target: Target, *, need: Command = "apply", seams: Seams = REAL_SEAMS
) -> Diagnosis:
    """Check ``target`` against the estate in ``directory`` (see the module docstring); the
    scopes of ``need`` must be held, those of apply are only a warning when ``need`` is plan.
    Never writes: the client is read-only."""
    watch = RateWatch()
    async with open_session(
        directory, target, EVERY_CUSTOMER, read_only=True, seams=seams, wrap_transport=watch.wrap
    ) as run:
        checks = await _diagnose(run.client, run.desired, target, need)
    return Diagnosis((*checks, Check("ok", "rate limits", watch.summary())))


async def _diagnose(
    client: WebexClient, desired: State, target: Target, need: Command
) -> list[Check]:
    credentials = await _credentials(client, target)
    if credentials.status == "FAIL":
        return [credentials]
    countries = countries_of(desired)
    probes = await _probe_reads(client, desired, countries)
    checks = [credentials]
    checks += [_scopes(client, desired, c, probes, need) for c in ("plan", "apply")]
    if optional := _optional_scopes(client, desired):
        checks.append(optional)
    checks.append(await _partner_org(client))
    checks += await asyncio.gather(*(_template(client, desired, n) for n in desired.templates))
    checks += await asyncio.gather(*(_country(client, code) for code in countries))
    return checks


def _credentials_kind(client: WebexClient, target: Target) -> str:
    if isinstance(target, SandboxTarget):
        return "the sandbox's read-only token"
    if isinstance(client.session.tokens, RefreshGrant):
        return "the refresh grant (WEBEX_CLIENT_ID, WEBEX_CLIENT_SECRET, WEBEX_REFRESH_TOKEN)"
    return "WEBEX_TOKEN"


async def _credentials(client: WebexClient, target: Target) -> Check:
    kind = _credentials_kind(client, target)
    try:
        await client.session.tokens.token()
        await client.session.request("GET", "/wholesale/customers", params={"max": "1"})
    except AuthError as exc:
        if exc.status == 403:  # the token is good; the scope is reported below
            return Check("ok", "credentials", f"{kind} accepted by {target}")
        return Check("FAIL", "credentials", f"{kind} refused: {exc}")
    return Check("ok", "credentials", f"{kind} accepted by {target}")


async def _probe_reads(
    client: WebexClient, desired: State, countries: list[str]
) -> dict[str, bool]:
    """Read scope → whether its probe was answered (a 403: it is not held)."""
    probes: dict[str, Callable[[], Awaitable[object]]] = {
        scope: _getter(client, path, params) for scope, (path, params) in PROBES.items()
    }
    if "spark-admin:telephony_config_read" in needed_scopes(desired, "plan"):
        code = countries[0] if countries else "US"
        probes["spark-admin:telephony_config_read"] = lambda: client.get_country(code)
    answers = await asyncio.gather(*(_answered(probe) for probe in probes.values()))
    return dict(zip(probes, answers, strict=True))


def _getter(
    client: WebexClient, path: str, params: dict[str, str]
) -> Callable[[], Awaitable[object]]:
    return lambda: client.session.request("GET", path, params=params)


async def _answered(probe: Callable[[], Awaitable[object]]) -> bool:
    try:
        await probe()
    except AuthError as exc:
        if exc.status == 403:
            return False
        raise
    except (BadRequest, NotFound, Conflict):
        return True  # refused for another reason than the scope: the scope passed
    return True


def _scopes(
    client: WebexClient, desired: State, command: Command, probes: Mapping[str, bool], need: Command
) -> Check:
    needed = needed_scopes(desired, command)
    name = f"scopes for {command}"
    granted = getattr(client.session.tokens, "scopes", None)
    if granted is not None:
        missing = [s for s in needed if s not in granted]
        how = "listed in the refresh grant's answer"
    else:
        missing = [s for s in needed if probes.get(s) is False]
        how = "each read scope proven by one read"
    failing: Status = "FAIL" if command == need or command == "plan" else "warn"
    if missing:
        named = ", ".join(f"{s} ({needed[s]})" for s in missing)
        return Check(failing, name, f"missing {named}")
    unseen = [s for s in needed if s not in probes] if granted is None else []
    if unseen:
        return Check(
            "warn",
            name,
            f"{len(needed) - len(unseen)} read scope(s) held ({how}); an access token given "
            f"as is cannot show its write scopes without writing: {', '.join(unseen)} (the "
            "refresh grant's answer lists them; else the first apply proves them)",
        )
    return Check("ok", name, f"all {len(needed)} held ({how})")


def _optional_scopes(client: WebexClient, desired: State) -> Check | None:
    """The read scopes plan can do without, for an estate that declares numbers at a calling
    customer's locations: a warning when the refresh grant's answer lacks one; None when the
    estate needs none or the token does not say (only a location's read would prove it)."""
    calling = {ext for ext, c in desired.customers.items() if has_calling(c.packages)}
    if not any(
        loc.numbers is not None and loc.customer in calling for loc in desired.locations.values()
    ):
        return None
    granted = getattr(client.session.tokens, "scopes", None)
    if granted is None:
        return None
    missing = [s for s in OPTIONAL_READS if s not in granted]
    if not missing:
        return Check("ok", "optional scopes", f"all {len(OPTIONAL_READS)} held")
    named = ", ".join(f"{s} ({OPTIONAL_READS[s]})" for s in missing)
    return Check("warn", "optional scopes", f"missing {named}")


async def _partner_org(client: WebexClient) -> Check:
    try:
        orgs, customers = await asyncio.gather(client.list_organizations(), client.list_customers())
    except AuthError as exc:
        return Check("FAIL", "partner org", f"cannot be read: {exc}")
    managed = {str(c.get("orgId")) for c in customers if c.get("orgId")}
    own = [o for o in orgs if str(o.get("id")) not in managed]
    if not own:
        return Check("FAIL", "partner org", "no organization but the customers' is visible")
    shown = [f"{o.get('displayName') or '(no name)'} ({o.get('id')})" for o in own]
    if len(own) == 1:
        return Check("ok", "partner org", f"{shown[0]}; {len(managed)} wholesale customer(s)")
    return Check(
        "warn",
        "partner org",
        f"{len(own)} organizations are not wholesale customers, the partner's is one of them: "
        + ", ".join(shown[:5])
        + (" …" if len(shown) > 5 else ""),
    )


async def _template(client: WebexClient, desired: State, name: str) -> Check:
    template = desired.templates[name]
    check = f"template {name}"
    if not template.provisioning_id:
        return Check(
            "warn",
            check,
            "no provisioningId: new customers of it are blocked (reconciler templates checklist)",
        )
    users = sorted(
        (c.template != name, ext) for ext, c in desired.customers.items() if c.state == "present"
    )
    if not users:
        return Check("warn", check, "not checked: no customer to take an address from")
    address = desired.customers[users[0][1]].address
    body = {"provisioningId": template.provisioning_id, "address": bodies.customer_address(address)}
    try:
        await client.precheck_customer(body)
    except ApiError as exc:
        return Check("FAIL", check, f"provisioningId {template.provisioning_id} refused: {exc}")
    return Check(
        "ok", check, f"provisioningId {template.provisioning_id} accepted by the customer precheck"
    )


async def _country(client: WebexClient, code: str) -> Check:
    try:
        config = await client.get_country(code)
    except ApiError as exc:
        return Check("FAIL", f"country {code}", f"no Webex Calling configuration: {exc}")
    zones = config.get("timeZones")
    count = f"{len(zones)} time zone(s)" if isinstance(zones, list) else "read"
    return Check("ok", f"country {code}", f"Webex Calling configuration found ({count})")
