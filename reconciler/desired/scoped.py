"""Loading the desired state for a run, through the cache, and only the customers a scoped
run needs once the whole directory is known to be valid.

A directory that passed every check leaves a *verdict* in the cache: under the SHA-256 of the
tool (its version, every source of ``reconciler.desired``, the model, the schemas, the time
zones known) and of every file's name and bytes, which customers it declares and which files
each customer's objects (and every template and Settings document) are in. A run scoped to some
customers (``plan --customer``, ``apply --customer``) then still reads and hashes every file,
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
from dataclasses import dataclass
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
    write_atomically,
)
from .checks import _time_zones
from .resolve import resolve
from .yamlio import Document

_SHARED_KINDS = ("Template", "Settings")


@dataclass(frozen=True, slots=True)
class Loaded:
    """The desired state of a run: whole, or (``scoped``) only the customers in scope with
    every template and the settings; ``customers``: every customer of the directory."""

    state: State
    customers: frozenset[str]
    scoped: bool = False


def load_cached(
    directory: Path, cache: Path | None, scope: Collection[str] | None = None
) -> Loaded:
    """The desired state of ``directory``, or ``ValidationFailed`` with every problem (as
    ``load_desired``); ``cache``: where entries and verdicts are kept (None: no cache);
    ``scope``: the customers the run covers (None: all), which a verdict lets it load alone."""
    if cache is None:
        state = load_desired(directory)
        return Loaded(state, frozenset(state.customers))
    sources, problems = read_sources(directory, file_salt())
    if scope is not None and not problems:
        found = _load_scope(cache, sources, frozenset(scope))
        if found is not None:
            return found
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
    """Record that ``sources`` passed every check, with where each customer is declared."""
    files: dict[str, set[str]] = {}
    shared: set[str] = set()
    for doc in docs:
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        if kind in _SHARED_KINDS:
            shared.add(doc.file)
        ext = _customer_of(doc.data)
        if ext is not None:
            files.setdefault(doc.file, set()).add(ext)
    body = {
        "customers": sorted(state.customers),
        "files": {name: sorted(exts) for name, exts in sorted(files.items())},
        "shared": sorted(shared),
    }
    path = _verdict(cache, sources)
    if not path.exists():
        write_atomically(path, orjson.dumps(body))


def _load_scope(cache: Path, sources: list[Source], scope: frozenset[str]) -> Loaded | None:
    """The scope's state on a verdict of exactly these sources; None when there is none or
    anything on the way is unexpected (the caller then checks everything)."""
    try:
        verdict = orjson.loads(_verdict(cache, sources).read_bytes())
        customers = frozenset(str(ext) for ext in verdict["customers"])
        needed = {str(name) for name in verdict["shared"]}
        needed |= {str(f) for f, exts in verdict["files"].items() if scope & set(exts)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    decls = Declarations()
    problems: list[Problem] = []
    for source in sources:
        if source.shown not in needed:
            continue
        found = read_entry(cache, source)
        if found is None:
            return None
        for doc, ok in found:
            kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
            if kind in _SHARED_KINDS or _customer_of(doc.data) in scope:
                declare_one(decls, doc, ok, problems)
    state = resolve(decls, problems)
    if problems or not set(state.customers) <= customers:
        return None
    return Loaded(state, customers, scoped=True)
