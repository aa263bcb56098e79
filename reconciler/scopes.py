"""The OAuth scopes the tool needs, and which of them a plan writes with (pure).

``doctor`` lists what ``plan`` and ``apply`` need for an estate; ``apply`` checks, before its
first write, that a token whose scopes are known (the refresh grant's answer lists them) holds
every write scope its plan uses, so a token without one stops the run with nothing written
instead of failing half-way with a 403.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.plan import Change, Plan, UserFacts

#: scope → what needs it; the read ones are what ``plan`` needs.
READS: Mapping[str, str] = {
    "spark-admin:wholesale_customers_read": "read customers",
    "spark-admin:wholesale_subscribers_read": "read users' packages",
    "spark-admin:locations_read": "read locations",
    "spark-admin:people_read": "read users",
    "spark-admin:roles_read": "read admin roles",
    "spark-admin:organizations_read": "read customer names",
}
WRITES: Mapping[str, str] = {
    "spark-admin:wholesale_customers_write": "provision, update and remove customers",
    "spark-admin:wholesale_subscribers_write": "provision and remove users",
    "spark-admin:locations_write": "create, update and remove locations",
    "spark-admin:people_write": "update users",
    "identity:organizations_rw": "rename customers",
}
CALLING_READS: Mapping[str, str] = {
    "spark-admin:telephony_config_read": "read Webex Calling locations, numbers and countries",
}
#: Read scopes a plan can do without: a check is skipped (and said) when the token lacks one.
OPTIONAL_READS: Mapping[str, str] = {
    "spark-admin:telephony_pstn_read": (
        "read a calling location's PSTN connection, so numbers declared at an integrated "
        "provider's location are blocked by plan (without it, Webex refuses them at apply)"
    ),
}
CALLING_WRITES: Mapping[str, str] = {
    "spark-admin:telephony_config_write": "enable Webex Calling at locations, add numbers",
}

CUSTOMERS_WRITE = "spark-admin:wholesale_customers_write"
SUBSCRIBERS_WRITE = "spark-admin:wholesale_subscribers_write"
LOCATIONS_WRITE = "spark-admin:locations_write"
PEOPLE_WRITE = "spark-admin:people_write"
RENAME = "identity:organizations_rw"
TELEPHONY_WRITE = "spark-admin:telephony_config_write"


def _of(change: Change) -> set[str]:
    """The write scopes ``change`` certainly uses (never one it might not: a scope named here
    and not held stops the whole apply)."""
    fields = {f.field for f in change.fields}
    if change.kind == "customer":
        if change.action != "update":
            return {CUSTOMERS_WRITE}
        # a rename is the identity API's PATCH; the wholesale PUT only for the other fields
        return ({RENAME} if "name" in fields else set()) | (
            {CUSTOMERS_WRITE} if fields - {"name"} else set()
        )
    if change.kind == "location":
        return {LOCATIONS_WRITE}
    if change.kind in ("calling", "number"):
        return {TELEPHONY_WRITE}
    if change.kind != "user" or change.action != "update":
        return {SUBSCRIBERS_WRITE} if change.kind == "user" else set()
    needed = {SUBSCRIBERS_WRITE} if "package" in fields else set()
    # location, number and extension may all be the move job's; any other field is the People PUT
    if fields - {"package", "location", "phoneNumber", "extension"}:
        needed.add(PEOPLE_WRITE)
    facts = change.facts
    if isinstance(facts, UserFacts) and facts.moves:
        needed.add(TELEPHONY_WRITE)
    return needed


def write_scopes(plan: Plan) -> dict[str, str]:
    """Write scope → the address of the first change that uses it."""
    needed: dict[str, str] = {}
    for change in plan.changes:
        for scope in sorted(_of(change)):
            needed.setdefault(scope, change.address)
    return needed


def missing_write_scopes(plan: Plan, granted: frozenset[str]) -> list[str]:
    """One line per write scope ``plan`` uses and ``granted`` lacks: the scope, what it is
    for, the first change that needs it."""
    described: Mapping[str, str] = {**WRITES, **CALLING_WRITES}
    return [
        f"{scope} ({described.get(scope, 'writes')}), first needed by {address}"
        for scope, address in write_scopes(plan).items()
        if scope not in granted
    ]
