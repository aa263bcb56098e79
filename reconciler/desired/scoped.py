"""Loading the desired state for a run, through the cache, and only the customers a scoped
run needs once the whole directory is known to be valid.

A directory that passed every check leaves a *verdict* in the cache: under the SHA-256 of the
tool (its version, every source of ``reconciler.desired``, the model, the schemas, the time
zones known) and of every file's name and bytes, which customers it declares, which files each
customer's objects, each template and the Settings are in, and each customer's template. A run
scoped to some customers (``--customer``, or ``--changed-since``, whose customers the verdict
then answers as the loaded state would) still reads and hashes every file,
so an edit, a new, removed or renamed file anywhere (or another version of the tool) misses
the verdict and the whole directory is checked as without a cache, failing on a problem
anywhere. With the verdict, only the files of the customers in scope and of the templates and
settings are declared and resolved: every rule of one object and of one customer runs again on
them, from their cached documents; the rules across customers (a number used twice, ...) are
not run again: they passed on exactly these bytes. Anything unexpected on that path (an
entry missing, a problem) falls back to checking the whole directory.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from reconciler.errors import Problem, ValidationFailed
from reconciler.model import State

from . import load_desired
from .build import Declarations
from .cache import (
    FORMAT,
    Source,
    check_sources,
    declare_one,
    file_salt,
    read_entry,
    read_sources,
)
from .changed import Declared, scope_changed_since
from .checks import _time_zones
from .collector import pausing
from .packs import Packs, write_atomically
from .resolve import resolve
from .yamlio import Document

_SHARED = ("Template", "Settings")


@dataclass(frozen=True, slots=True)
class Loaded:
    """The desired state of a run: whole, or (``scoped``) only the customers in scope with
    every template and the settings; ``customers``: every customer of the directory;
    ``scope``: the customers a ``changed_since`` run covers, when found here."""

    state: State
    customers: frozenset[str]
    scoped: bool = False
    scope: frozenset[str] | None = None


@pausing
def load_cached(
    directory: Path,
    cache: Path | None,
    scope: Collection[str] | None = None,
    changed_since: str | None = None,
) -> Loaded:
    """The desired state of ``directory``, or ``ValidationFailed`` with every problem (as
    ``load_desired``); ``cache``: where entries and verdicts are kept (None: no cache);
    ``scope``: the customers the run covers (None: all), widened by those changed since the
    git ref ``changed_since``; a verdict lets the run load them alone."""
    if cache is None:
        state = load_desired(directory)
        return Loaded(state, frozenset(state.customers))
    sources, problems = read_sources(directory, file_salt())
    if (scope is not None or changed_since is not None) and not problems:
        verdict = _read_verdict(cache, sources)
        if verdict is not None:
            named = frozenset(scope or ())
            wanted: frozenset[str] | None = named
            if changed_since is not None:
                changed = scope_changed_since(directory, changed_since, declared=verdict[1])
                # None: a Settings document changed, which reaches every customer; the whole
                # directory is loaded below, and the session widens the scope to everything
                wanted = None if changed is None else named | changed
            found = None if wanted is None else _load_scope(cache, sources, verdict, wanted)
            if found is not None:
                return replace(found, scope=wanted if changed_since is not None else None)
    checked, docs = check_sources(directory, sources, problems, cache)
    if checked.problems:
        raise ValidationFailed(checked.problems)
    write_verdict(cache, sources, docs, checked.state)
    return Loaded(checked.state, frozenset(checked.state.customers))


def _salt() -> bytes:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(file_salt() + f"\0verdict {FORMAT}\0".encode())
    for path in (*sorted(here.glob("*.py")), here.parent / "model.py"):
        with contextlib.suppress(OSError):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update("\0".join(sorted(_time_zones())).encode())
    return digest.digest()


def _verdict(cache: Path, sources: list[Source]) -> Path:
    digest = hashlib.sha256(_salt())
    for source in sources:
        digest.update(f"{source.shown}\0{source.key}\n".encode())
    key = digest.hexdigest()
    return cache / "verdicts" / f"{key}.json"


def _customer_of(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    value = data.get("externalId") if data.get("kind") == "Customer" else data.get("customer")
    return value if isinstance(value, str) else None


def write_verdict(cache: Path, sources: list[Source], docs: list[Document], state: State) -> None:
    """Record that ``sources`` passed every check, with where everything is declared."""
    path = _verdict(cache, sources)
    if path.exists():
        return
    declared = Declared.of(state)
    shared = {d.file for d in docs if isinstance(d.data, dict) and d.data.get("kind") in _SHARED}
    body = {
        "customers": sorted(state.customers),
        "files": {f: sorted(exts) for f, exts in sorted(declared.customers.items())},
        "templates": {f: sorted(names) for f, names in sorted(declared.templates.items())},
        "uses": dict(sorted(declared.uses.items())),
        "shared": sorted(shared),
    }
    write_atomically(path, orjson.dumps(body))


#: A verdict as read: every customer, where things are declared, the files every run needs.
Verdict = tuple[frozenset[str], Declared, frozenset[str]]


def _read_verdict(cache: Path, sources: list[Source]) -> Verdict | None:
    try:
        body = orjson.loads(_verdict(cache, sources).read_bytes())
        declared = Declared(
            {str(f): frozenset(map(str, exts)) for f, exts in body["files"].items()},
            {str(f): frozenset(map(str, names)) for f, names in body["templates"].items()},
            {str(ext): None if t is None else str(t) for ext, t in body["uses"].items()},
        )
        customers = frozenset(str(ext) for ext in body["customers"])
        shared = frozenset(str(name) for name in body["shared"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return customers, declared, shared


def _load_scope(
    cache: Path, sources: list[Source], verdict: Verdict, scope: frozenset[str]
) -> Loaded | None:
    """The scope's state on the verdict of exactly these sources; None when anything on the
    way is unexpected (the caller then checks everything)."""
    customers, declared, shared = verdict
    needed = set(shared) | {f for f, exts in declared.customers.items() if scope & exts}
    decls = Declarations()
    problems: list[Problem] = []
    packs = Packs(cache)
    for source in sources:
        if source.shown not in needed:
            continue
        found = read_entry(packs, source)
        if found is None:
            return None
        for doc, ok in found:
            kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
            if kind in _SHARED or _customer_of(doc.data) in scope:
                declare_one(decls, doc, ok, problems)
    state = resolve(decls, problems)
    if problems or not set(state.customers) <= customers:
        return None
    return Loaded(state, customers, scoped=True)
