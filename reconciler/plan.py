"""The plan as a value: ordered changes with dependencies, canonical JSON and its checksum.

Pure: no IO. ``Plan.to_json()`` is canonical (sorted keys, no whitespace, no timestamps), so
identical inputs give a byte-identical plan, and ``Plan.from_json(p.to_json())`` gives back a
plan with the same checksum. The checksum is the sha256 of the canonical JSON of the changes
alone: warnings and wording may improve without invalidating a reviewed plan.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from reconciler.errors import PlanError
from reconciler.model import Address, Customer, Location, User

FORMAT_VERSION = 1

Action = Literal["create", "update", "delete"]
Kind = Literal["customer", "location", "user", "calling", "number"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete")
#: The kinds every plan's summary counts (``byKind``).
KINDS: tuple[Kind, ...] = ("customer", "location", "user")
#: Webex Calling steps: ``calling/EXT/LOCATION`` (create: enable calling at the location,
#: delete: the disable-calling job) and ``number/EXT/LOCATION/+E164`` (create: add the number
#: to the location's inventory, delete: remove it). Counted in ``byKind`` only by a plan that
#: has them, so a plan without calling steps reads exactly as before.
CALLING_KINDS: tuple[Kind, ...] = ("calling", "number")

JSON = Any


def address_of(kind: Kind, customer: str, name: str | None = None) -> str:
    """The plan address: ``customer/EXT``, ``location/EXT/NAME``, ``user/EXT/EMAIL``,
    ``calling/EXT/LOCATION`` or ``number/EXT/LOCATION/+E164``."""
    return f"{kind}/{customer}" if name is None else f"{kind}/{customer}/{name}"


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    before: JSON = None
    after: JSON = None

    def to_data(self) -> dict[str, JSON]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What a customer create or update sends: the desired customer, its declared
    headquarters (the source of ``provisioningParameters.calling``), its template's
    provisioningId, and the name of the headquarters location this change creates
    (``carries``: Partner Hub makes it while provisioning, so no location create is planned)."""

    customer: Customer
    headquarters: Location | None = None
    provisioning_id: str | None = None
    carries: str | None = None


@dataclass(frozen=True, slots=True)
class LocationFacts:
    """What a location create or update sends: the desired location, the live name a rename
    starts from, and whether it is its customer's headquarters (which the customer's
    provisioning may have made already)."""

    location: Location
    previous_name: str | None = None
    headquarters: bool = False


@dataclass(frozen=True, slots=True)
class UserFacts:
    """What a user change needs: the desired user (None for a prune), whether a package change
    moves it onto calling (calling parameters are sent with it), whether it is its customer's
    administrator (a person provisioning made), the location this change puts it in and the
    live location it leaves (both for the order of the plan), the number it takes and the
    live number it releases (for the order of number adds and removes), and whether it changes
    location through the move-users job (a calling user: Webex refuses a People PUT of its
    ``locationId``), the live extension it gives up, and whether its number is one the
    location's PSTN provider supplies once the plan enables calling there (apply waits for it
    to reach the inventory first)."""

    user: User | None = None
    adds_calling: bool = False
    customer_admin: bool = False
    sets_location: str | None = None
    leaves_location: str | None = None
    sets_number: str | None = None
    leaves_number: str | None = None
    moves: bool = False
    #: The live extension it gives up (at ``leaves_location``), so a user taking it waits.
    leaves_extension: str | None = None
    provider_number: bool = False


@dataclass(frozen=True, slots=True)
class CallingFacts:
    """What enabling calling at a location sends: the desired location, the address and the
    languages it is enabled with (the location's own, else its customer's)."""

    location: Location | None = None
    address: Address | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class NumberFacts:
    """A managed number's location and the number itself (E.164)."""

    location: str
    number: str


Facts = CustomerFacts | LocationFacts | UserFacts | CallingFacts | NumberFacts


@dataclass(frozen=True, slots=True)
class Change:
    """One write to make. ``customer`` and ``name`` are the structured key behind ``address``
    (``name`` is the location name or the user email; ``None`` for a customer).

    ``facts`` are the typed values the planner found that apply builds its requests from; they
    are not part of the plan's JSON (nor its checksum), so a plan read back from JSON has none:
    apply always executes a fresh plan, compared with the reviewed one by checksum."""

    action: Action
    kind: Kind
    customer: str
    name: str | None = None
    fields: tuple[FieldDiff, ...] = ()
    depends_on: tuple[str, ...] = ()
    #: Short human notes that are part of what is reviewed (e.g. "rename from 'Old HQ'").
    notes: tuple[str, ...] = ()
    facts: Facts | None = field(default=None, compare=False, repr=False)

    @property
    def address(self) -> str:
        return address_of(self.kind, self.customer, self.name)

    def to_data(self) -> dict[str, JSON]:
        return {
            "action": self.action,
            "kind": self.kind,
            "address": self.address,
            "customer": self.customer,
            "name": self.name,
            "fields": [f.to_data() for f in self.fields],
            "dependsOn": list(self.depends_on),
            "notes": list(self.notes),
        }

    @classmethod
    def from_data(cls, data: dict[str, JSON]) -> Change:
        return cls(
            action=cast(Action, data["action"]),
            kind=cast(Kind, data["kind"]),
            customer=data["customer"],
            name=data.get("name"),
            fields=tuple(
                FieldDiff(f["field"], f.get("before"), f.get("after")) for f in data["fields"]
            ),
            depends_on=tuple(data.get("dependsOn", ())),
            notes=tuple(data.get("notes", ())),
        )


#: The fields of a customer delete that count what goes with it (``before``: the live count).
CASCADE_FIELDS: dict[str, Kind] = {"locations": "location", "users": "user"}


def cascade(change: Change) -> dict[Kind, int]:
    """What a customer delete takes with it: its live locations and users per kind (from the
    ``locations``/``users`` fields it carries, so a plan read back from JSON says it too);
    empty for any other change."""
    if change.kind != "customer" or change.action != "delete":
        return {}
    return {
        CASCADE_FIELDS[f.field]: int(f.before)
        for f in change.fields
        if f.field in CASCADE_FIELDS and isinstance(f.before, int)
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def deletes_phrase(change: Change) -> str:
    """``customer HVD-10231 with 3 locations and 41 users`` for a customer delete."""
    took = cascade(change)
    return (
        f"customer {change.customer} with {_count(took.get('location', 0), 'location')} and "
        f"{_count(took.get('user', 0), 'user')}"
    )


@dataclass(frozen=True, slots=True, order=True)
class Notice:
    """A warning, a blocked reason, or an unmanaged object: an address and a message."""

    address: str
    message: str

    def to_data(self) -> dict[str, str]:
        return {"address": self.address, "message": self.message}


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...] = ()
    warnings: tuple[Notice, ...] = ()
    unmanaged: tuple[Notice, ...] = ()
    blocked: tuple[Notice, ...] = ()
    #: Customers the plan was scoped to; empty means the whole estate.
    scope: tuple[str, ...] = ()
    #: Per-change results of provisioning prechecks (address → message), when asked for.
    prechecks: tuple[Notice, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(canonical([c.to_data() for c in self.changes])).hexdigest()

    @property
    def summary(self) -> dict[str, dict[str, int]]:
        """Counts per action, overall and per kind."""
        counts = Counter((c.action, c.kind) for c in self.changes)
        present = {c.kind for c in self.changes}
        kinds = KINDS + tuple(k for k in CALLING_KINDS if k in present)
        out: dict[str, dict[str, int]] = {a: {k: counts[(a, k)] for k in kinds} for a in ACTIONS}
        return out

    @property
    def by_customer(self) -> dict[str, dict[str, int]]:
        """Counts per action for each customer with changes (for policies outside the tool)."""
        counts = Counter((c.customer, c.action) for c in self.changes)
        customers = sorted({c.customer for c in self.changes})
        return {ext: {a: counts[(ext, a)] for a in ACTIONS} for ext in customers}

    @property
    def customer_deletes(self) -> list[dict[str, JSON]]:
        """Each customer delete with the live locations and users that go with it."""
        out: list[dict[str, JSON]] = []
        for c in self.changes:
            if c.kind == "customer" and c.action == "delete":
                took = cascade(c)
                out.append(
                    {
                        "customer": c.customer,
                        "locations": took.get("location", 0),
                        "users": took.get("user", 0),
                    }
                )
        return out

    def to_data(self) -> dict[str, JSON]:
        summary = self.summary
        return {
            "formatVersion": FORMAT_VERSION,
            "checksum": self.checksum,
            "scope": list(self.scope),
            "summary": {a: sum(summary[a].values()) for a in ACTIONS}
            | {
                "byKind": summary,
                "byCustomer": self.by_customer,
                "customerDeletes": self.customer_deletes,
            },
            "changes": [c.to_data() for c in self.changes],
            "warnings": [n.to_data() for n in self.warnings],
            "unmanaged": [n.to_data() for n in self.unmanaged],
            "blocked": [n.to_data() for n in self.blocked],
            "prechecks": [n.to_data() for n in self.prechecks],
        }

    def to_json(self) -> str:
        return canonical(self.to_data()).decode()

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a saved plan back; refuses another format version or a tampered checksum."""
        try:
            data = json.loads(text)
            if data.get("formatVersion") != FORMAT_VERSION:
                raise PlanError(
                    f"plan formatVersion {data.get('formatVersion')!r} is not {FORMAT_VERSION}"
                )
            plan = cls(
                changes=tuple(Change.from_data(c) for c in data["changes"]),
                warnings=tuple(Notice(**n) for n in data.get("warnings", ())),
                unmanaged=tuple(Notice(**n) for n in data.get("unmanaged", ())),
                blocked=tuple(Notice(**n) for n in data.get("blocked", ())),
                scope=tuple(data.get("scope", ())),
                prechecks=tuple(Notice(**n) for n in data.get("prechecks", ())),
            )
        except PlanError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PlanError(f"not a plan file: {exc}") from exc
        if data.get("checksum") != plan.checksum:
            raise PlanError("plan file checksum does not match its changes (edited by hand?)")
        return plan


def canonical(data: JSON) -> bytes:
    """Canonical JSON: sorted keys, compact separators, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
