"""The promise, as a property: valid estates and sequences of edits (adds, package changes, moves,
renames, tombstones, prune, extensions taken, roles), each written as YAML and applied to the
in-process sandbox through the CLI. Every plan that is not blocked must apply with no 4xx answer
to any write and converge in one apply (``plan --detailed-exitcode`` 0 right after).

Shared by the bounded test (``test_promise_property.py``) and the longer run
(``tests/bench/bench_promise.py``)."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from apply_helpers import FakeClock, fake_runtime
from click.testing import CliRunner
from hypothesis import strategies as st

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "desired-state" / "templates"
ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "NO_COLOR": "1",
}
SITES = ("Austin", "Boston", "Chicago", "Denver")
CALLING, MEETINGS = "webex_calling", "webex_meetings"

Doc = dict[str, Any]


def customer(i: int, sites: int, users: list[tuple[int, bool, int]]) -> Doc:
    """Customer ``PT-i`` (na-calling template) with ``sites`` locations and ``users``: (number,
    calling, site index)."""
    doc: Doc = {
        "kind": "Customer",
        "externalId": f"PT-{i:03d}",
        "name": f"Promise Test {i}",
        "adminEmail": f"admin@pt{i}.example",
        "template": "na-calling",
        "packages": [CALLING, MEETINGS],
        "address": {"line1": f"{i + 1} Main St", "city": "Austin", "state": "TX"}
        | {"postalCode": "73301", "country": "US"},
        "headquarters": f"{SITES[0]} Office",
        "locations": [
            {"name": f"{SITES[s]} Office", "timeZone": "America/Chicago"} for s in range(sites)
        ],
        "users": [],
    }
    for number, calling, site in users:
        doc["users"].append(user(i, number, calling, f"{SITES[site % sites]} Office"))
    return doc


def user(i: int, number: int, calling: bool, location: str) -> Doc:
    out: Doc = {
        "email": f"u{number}@pt{i}.example",
        "firstName": f"First{number}",
        "lastName": f"Last{number}",
        "package": CALLING if calling else MEETINGS,
    }
    if calling:
        out |= {"location": location, "extension": f"{1000 + number}"}
    return out


@st.composite
def estates(draw: st.DrawFn) -> list[Doc]:
    count = draw(st.integers(1, 3))
    out = []
    for i in range(count):
        sites = draw(st.integers(1, 3))
        n = draw(st.integers(0, 5))
        users = [(u, draw(st.booleans()), draw(st.integers(0, 2))) for u in range(n)]
        out.append(customer(i, sites, users))
    return out


#: An edit: (kind, customer index, a number to pick objects with); the number edits are drawn
#: more often, since taking a number needs a user that was given one first.
EDITS = (
    "add_user",
    "package",
    "move",
    "rename_location",
    "tombstone",
    "prune",
    "rename_customer",
    "reuse_extension",
    "role",
    "give_number",
    "give_number",
    "reuse_number",
    "reuse_number",
    "reuse_number",
)
#: Role names as GET /roles lists them, and one misspelt (plan blocks it).
ROLES = ("Read-only Administrator", "Support Administrator", "Compliance Officer")
edits = st.tuples(st.sampled_from(EDITS), st.integers(0, 2), st.integers(0, 50))


def _present(doc: Doc) -> list[Doc]:
    return [u for u in doc["users"] if u.get("state") != "absent"]


def _sites(doc: Doc) -> list[str]:
    return [loc["name"] for loc in doc["locations"] if loc.get("state") != "absent"]


def apply_edit(docs: list[Doc], settings: Doc, edit: tuple[str, int, int]) -> str | None:
    """Apply ``edit`` to the documents in place; what it did, or None when it did not apply
    (nor when it would give two users of a location one extension, which validate refuses)."""
    which = edit[1] % len(docs)
    before, prune = copy.deepcopy(docs[which]), settings.get("prune")
    did = _edit(docs, settings, edit)
    slots = [
        (u.get("location"), u["extension"]) for u in _present(docs[which]) if u.get("extension")
    ]
    if did is not None and (len(slots) != len(set(slots)) or not _numbers_fit(docs[which])):
        docs[which], settings["prune"] = before, prune
        return None
    return did


def _numbers_fit(doc: Doc) -> bool:
    """Each calling user's number is one of its location's declared numbers, and one user's."""
    declared = {loc["name"]: loc.get("numbers", []) for loc in doc["locations"]}
    taken = [u["phoneNumber"] for u in _present(doc) if u.get("phoneNumber")]
    return len(taken) == len(set(taken)) and all(
        u["phoneNumber"] in declared.get(u.get("location"), [])
        for u in _present(doc)
        if u.get("phoneNumber")
    )


def _fresh_number(doc: Doc, i: int) -> str:
    """A number no location of the customer lists yet (+1 512 555 i k k k)."""
    listed = {n for loc in doc["locations"] for n in loc.get("numbers", [])}
    k = len(listed)
    while f"+1512555{i}{k:03d}" in listed:
        k += 1
    return f"+1512555{i}{k:03d}"


def _site(doc: Doc, name: str) -> Doc:
    (found,) = [loc for loc in doc["locations"] if loc["name"] == name]
    return found


def _give(doc: Doc, i: int, holder: Doc) -> str:
    """A fresh number listed at ``holder``'s location and given to it."""
    number = _fresh_number(doc, i)
    _site(doc, holder["location"]).setdefault("numbers", []).append(number)
    holder["phoneNumber"] = number
    return number


def _edit(docs: list[Doc], settings: Doc, edit: tuple[str, int, int]) -> str | None:
    kind, which, pick = edit
    doc = docs[which % len(docs)]
    ext, i = doc["externalId"], int(doc["externalId"][3:])
    people, sites = _present(doc), _sites(doc)
    if kind == "add_user":
        number = 100 + pick + 10 * len(doc["users"])
        if any(u["email"] == f"u{number}@pt{i}.example" for u in doc["users"]):
            return None
        doc["users"].append(user(i, number, pick % 2 == 0, sites[pick % len(sites)]))
        return f"{ext}: add user {number}"
    if kind == "tombstone" and people:
        victim = people[pick % len(people)]
        email = victim["email"]
        victim.clear()
        victim.update(email=email, state="absent")
        return f"{ext}: tombstone {email}"
    if kind == "prune" and people:
        gone = people[pick % len(people)]
        doc["users"].remove(gone)
        settings["prune"] = True
        return f"{ext}: drop {gone['email']} with prune on"
    if kind == "package" and people:
        target = people[pick % len(people)]
        number = int(target["email"].split("@")[0][1:])
        calling = target["package"] != CALLING
        target.clear()
        target.update(user(i, number, calling, sites[pick % len(sites)]))
        return f"{ext}: {target['email']} to {target['package']}"
    if kind == "move":
        movers = [u for u in people if u["package"] == CALLING]
        if not movers or len(sites) < 2:
            return None
        mover = movers[pick % len(movers)]
        others = [s for s in sites if s != mover["location"]]
        old, mover["location"] = mover["location"], others[pick % len(others)]
        number = mover.get("phoneNumber")
        if number:  # the number goes along: listed at the new location instead of the old
            _site(doc, old)["numbers"].remove(number)
            _site(doc, mover["location"]).setdefault("numbers", []).append(number)
        return f"{ext}: move {mover['email']} to {mover['location']}"
    if kind == "rename_location":
        loc = doc["locations"][pick % len(doc["locations"])]
        old, new = loc["name"], f"{loc['name'].split()[0]} Centre {pick}"
        if old == doc["headquarters"] or any(
            existing["name"] == new for existing in doc["locations"]
        ):
            return None
        loc["name"], loc["previously"] = new, [old]
        for u in doc["users"]:
            if u.get("location") == old:
                u["location"] = new
        return f"{ext}: rename location {old!r} to {new!r}"
    if kind == "reuse_extension":
        # a new user takes a calling user's extension at its location: the holder is dropped
        # from the YAML (left alone: blocked; pruned: it frees it) or gives it up in the same
        # plan (the new user waits for that change)
        holders = [u for u in people if u["package"] == CALLING and u.get("extension")]
        number = 100 + pick + 10 * len(doc["users"])
        if not holders or any(u["email"] == f"u{number}@pt{i}.example" for u in doc["users"]):
            return None
        holder = holders[pick % len(holders)]
        taken, place = holder["extension"], holder["location"]
        if pick % 4:  # mostly: a dropped holder blocks every later plan of the estate
            holder["extension"] = f"{9000 + number}"
            how = f"{holder['email']} gives up {taken}"
        else:
            doc["users"].remove(holder)
            how = f"{holder['email']} dropped from the YAML"
        doc["users"].append(user(i, number, True, place) | {"extension": taken})
        return f"{ext}: user {number} takes extension {taken} ({how})"
    if kind == "role" and people:
        target = people[pick % len(people)]
        name = "Support administrator" if pick % 5 == 0 else ROLES[pick % len(ROLES)]
        target["roles"] = [name] if target.get("roles") != [name] else []
        return f"{ext}: {target['email']} roles {target['roles']}"
    if kind == "give_number":
        bare = [u for u in people if u["package"] == CALLING and not u.get("phoneNumber")]
        if not bare:
            return None
        holder = bare[pick % len(bare)]
        return f"{ext}: {holder['email']} gets number {_give(doc, i, holder)}"
    if kind == "reuse_number":
        # a new user takes a user's number at its location: the holder is removed, put on
        # meetings, or given another number in the same plan (the new user waits for it)
        holders = [u for u in people if u.get("phoneNumber")]
        number = 100 + pick + 10 * len(doc["users"])
        if not holders or any(u["email"] == f"u{number}@pt{i}.example" for u in doc["users"]):
            return None
        holder = holders[pick % len(holders)]
        taken, place = holder["phoneNumber"], holder["location"]
        how = ("removed", "put on meetings", "given another number")[pick % 3]
        if pick % 3 == 0:
            email = holder["email"]
            holder.clear()
            holder.update(email=email, state="absent")
        elif pick % 3 == 1:
            for key in ("location", "phoneNumber", "extension"):
                holder.pop(key, None)
            holder["package"] = MEETINGS
        else:
            _give(doc, i, holder)
        doc["users"].append(user(i, number, True, place) | {"phoneNumber": taken})
        return f"{ext}: user {number} takes number {taken} ({holder['email']} {how})"
    if kind == "rename_customer":
        doc["name"] = f"Promise Test {i} v{pick}"
        return f"{ext}: rename customer to {doc['name']!r}"
    return None


@dataclass
class Figures:
    """What a run saw: estates, edits applied, applies, 4xx answers to writes, applies that
    were not enough alone (a second one needed), and blocked plans skipped."""

    estates: int = 0
    edits: int = 0
    applies: int = 0
    client_errors: int = 0
    second_applies: int = 0
    blocked: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "estates": self.estates,
            "edits": self.edits,
            "applies": self.applies,
            "4xx": self.client_errors,
            "second_applies": self.second_applies,
            "blocked": self.blocked,
        }


class Estate:
    """One generated estate on disk and its sandbox, driven through the CLI on a fake clock."""

    def __init__(self, work: Path, docs: list[Doc]) -> None:
        self.work = work
        self.dir = work / "estate"
        self.db = work / "sandbox.sqlite"
        self.journal = work / "journal.jsonl"
        self.runtime = fake_runtime(FakeClock())
        self.docs = copy.deepcopy(docs)
        self.settings: Doc = {"kind": "Settings", "prune": False}
        self.settings |= {"maxDeletePercent": 10, "maxUpdatePercent": 30}
        self.settings["maxRequestsPerSecond"] = 1000

    def write(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "customers").mkdir(parents=True)
        shutil.copytree(TEMPLATES, self.dir / "templates")
        (self.dir / "settings.yaml").write_text(yaml.safe_dump(self.settings), "utf-8")
        for doc in self.docs:
            path = self.dir / "customers" / f"{doc['externalId']}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")

    def cli(self, *args: str) -> tuple[int, str]:
        command, *rest = args
        full = [
            command,
            str(self.dir),
            *(["--sandbox", str(self.db)] if command != "validate" else []),
            *rest,
        ]
        result = CliRunner().invoke(cli, full, env=ENV, obj=self.runtime)
        return result.exit_code, result.stdout + result.stderr

    def round(self, figures: Figures, what: str) -> None:
        """Validate, plan, and (unless blocked or empty) apply once and plan again."""
        self.write()
        code, out = self.cli("validate")
        if code != 0:
            figures.problems.append(f"{what}: generated YAML does not validate: {out[-400:]}")
            return
        code, out = self.cli("plan", "--detailed-exitcode")
        if code == 3:
            figures.blocked += 1
            return
        if code == 0:
            return
        if code != 2:
            figures.problems.append(f"{what}: plan exit {code}: {out[-400:]}")
            return
        self.journal.unlink(missing_ok=True)
        code, out = self.cli("apply", "--yes", "--journal", str(self.journal))
        figures.applies += 1
        writes = [json.loads(line) for line in self.journal.read_text().splitlines()]
        refused = [w for w in writes if 400 <= int(w.get("status") or 0) < 500]
        figures.client_errors += len(refused)
        for w in refused:
            figures.problems.append(f"{what}: {w['method']} {w['path']} -> {w['status']}")
        if code != 0:
            figures.problems.append(f"{what}: apply exit {code}: {out[-600:]}")
        code, out = self.cli("plan", "--detailed-exitcode")
        if code != 0:
            figures.second_applies += 1
            figures.problems.append(f"{what}: not converged after one apply: {out[-600:]}")


def run_example(work: Path, docs: list[Doc], steps: list[tuple[str, int, int]]) -> Figures:
    """One estate from empty, then each edit that applies to it: the figures of the run."""
    figures = Figures(estates=1)
    estate = Estate(work, docs)
    estate.round(figures, "initial estate")
    for step in steps:
        did = apply_edit(estate.docs, estate.settings, step)
        if did is None:
            continue
        figures.edits += 1
        estate.round(figures, did)
    return figures
