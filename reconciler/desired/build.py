"""Documents → declarations: envelope and schema checks, nested objects flattened, duplicates.

Nested ``locations:``/``users:`` under a Customer become the same declarations as separate
documents with ``customer:``, so the rest of the loader sees one shape.

A document (or nested item) that fails its schema is still declared when its key fields passed,
with the data paths that failed (``Decl.bad``): references and rules run on what could be read,
and skip what depends on a failed field, so every mistake is reported once, in one run. When a
key field itself failed, only the key (as far as it can be read) is remembered, so a reference
to the object does not add a second, misleading problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Problem
from reconciler.model import Settings, Source

from . import schemas
from .yamlio import Document

API_VERSION = "reconciler/v1"
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Decl:
    """One declared object: where it is, and its (schema-valid) data."""

    doc: Document
    path: Path
    data: Mapping[str, Any]
    #: Data paths (relative to ``path``) whose values failed the schema; empty when valid.
    bad: frozenset[Path] = frozenset()

    def ok(self, *fields: str | int) -> bool:
        """True if the value at ``fields`` (absent or not) and everything in it passed."""
        if not self.bad:  # the common case: the whole object passed
            return True
        n = len(fields)
        return not any(p[:n] == fields or fields[: len(p)] == p for p in self.bad)

    def value(self, *fields: str) -> Any:
        """The value at ``fields`` if it passed the schema, else None (as if absent)."""
        if not self.bad and len(fields) == 1:
            return self.data.get(fields[0])
        if not self.ok(*fields):
            return None
        node: Any = self.data
        for step in fields:
            node = node.get(step) if isinstance(node, dict) else None
        return node

    @property
    def partial(self) -> bool:
        """Some of its values failed the schema: it is checked, but kept out of the state."""
        return bool(self.bad)

    def problem(self, message: str, *fields: str | int, key: bool = False) -> Problem:
        return self.doc.problem((*self.path, *fields), message, key=key)

    def source(self) -> Source:
        line, col = self.doc.position(self.path)
        return Source(self.doc.file, line, col)

    def where(self, *fields: str | int) -> str:
        line, col = self.doc.position((*self.path, *fields))
        return f"{self.doc.file}:{line}:{col}"


@dataclass
class Declarations:
    """Everything declared, by kind, plus the keys of objects that failed their schema."""

    templates: list[Decl] = field(default_factory=list)
    customers: list[Decl] = field(default_factory=list)
    #: (customer externalId, declaration)
    locations: list[tuple[str, Decl]] = field(default_factory=list)
    users: list[tuple[str, Decl]] = field(default_factory=list)
    settings: list[Decl] = field(default_factory=list)
    broken_templates: set[str] = field(default_factory=set)
    broken_customers: set[str] = field(default_factory=set)
    broken_locations: set[tuple[str, str]] = field(default_factory=set)


def declare(docs: Iterable[Document]) -> tuple[Declarations, list[Problem]]:
    """Check each document's envelope and schema, and flatten it into declarations."""
    out = Declarations()
    problems: list[Problem] = []
    for doc in docs:
        kind = _envelope(doc, problems)
        if kind is None:
            continue
        if doc.broken:  # a value was lost (already reported): keep its key only
            _declare_key(out, kind, doc.data)
            continue
        errors = document_errors(doc, kind)
        problems.extend(p for _, p in errors)
        # A missing required field has the path of its parent: it is absent, nothing to skip.
        bad = {tuple(path) for path, _ in errors}
        _declare(out, kind, doc, bad)
    return out, problems


def document_errors(doc: Document, kind: str) -> list[tuple[Path, Problem]]:
    """The problems of one readable document on its own (its schema, blank text fields),
    each with the data path it is at."""
    errors = [(tuple(path), problem) for path, problem in schemas.check(doc, kind, doc.data)]
    errors += [(path, doc.problem(path, message)) for path, message in _blanks(doc.data)]
    return errors


def _envelope(doc: Document, problems: list[Problem]) -> str | None:
    data = doc.data
    if not isinstance(data, dict):
        problems.append(doc.problem((), "a document must be a mapping with a 'kind'"))
        return None
    version = data.get("apiVersion", API_VERSION)
    if version != API_VERSION:
        problems.append(
            doc.problem(
                ("apiVersion",), f"unsupported apiVersion {version!r} (expected {API_VERSION})"
            )
        )
        return None
    kind = data.get("kind")
    if kind is None:
        problems.append(
            doc.problem((), "missing 'kind' (one of: " + ", ".join(schemas.KINDS) + ")")
        )
        return None
    if not isinstance(kind, str) or kind not in schemas.KINDS:
        tip = schemas.did_you_mean(str(kind), schemas.KINDS)
        problems.append(
            doc.problem(
                ("kind",),
                f"unknown kind {kind!r}{tip}; expected one of: " + ", ".join(schemas.KINDS),
            )
        )
        return None
    return str(kind)


def _text(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


#: Text fields Partner Hub refuses when they hold only spaces (a name, an address line, a city);
#: the schemas' ``minLength`` catches only the empty string.
_NOT_BLANK = ("name", "line1", "city")


def _blanks(data: Any) -> list[tuple[Path, str]]:
    """(path, message) for each of ``_NOT_BLANK`` that holds only white space, in the object,
    its address, and the objects (and addresses) of its ``locations:``."""
    found: list[tuple[Path, str]] = []

    def visit(obj: Any, at: Path) -> None:
        if not isinstance(obj, dict):
            return
        for key in _NOT_BLANK:
            value = obj.get(key)
            if isinstance(value, str) and value and not value.strip():
                where = "".join(
                    f"[{step}]" if isinstance(step, int) else f".{step}" for step in (*at, key)
                ).lstrip(".")
                found.append(((*at, key), f"{where}: must not be blank"))
        if at[-1:] != ("address",):
            visit(obj.get("address"), (*at, "address"))

    visit(data, ())
    items = data.get("locations") if isinstance(data, dict) else None
    for i, item in enumerate(items if isinstance(items, list) else ()):
        visit(item, ("locations", i))
    return found


def _relative(bad: set[Path], prefix: Path) -> frozenset[Path]:
    """The bad paths under ``prefix``, relative to it; the prefix itself is not one of them."""
    n = len(prefix)
    return frozenset(p[n:] for p in bad if len(p) > n and p[:n] == prefix)


def _keys_ok(decl: Decl, *fields: str) -> bool:
    return all(decl.ok(f) and isinstance(decl.data.get(f), str) for f in fields)


def _declare_key(out: Declarations, kind: str, data: Any) -> None:
    """Remember the key of an object that cannot be declared, so references stay quiet."""
    if kind == "Template":
        out.broken_templates.add(_text(data, "name") or "")
    elif kind == "Location":
        out.broken_locations.add((_text(data, "customer") or "", _text(data, "name") or ""))
    elif kind == "Customer":
        ext = _text(data, "externalId") or ""
        out.broken_customers.add(ext)
        items = data.get("locations") if isinstance(data, dict) else None
        for item in items if isinstance(items, list) else ():
            out.broken_locations.add((ext, _text(item, "name") or ""))


def _declare(out: Declarations, kind: str, doc: Document, bad: set[Path]) -> None:
    top = frozenset(p for p in bad if p and not (len(p) >= 2 and p[0] in ("locations", "users")))
    decl = Decl(doc, (), doc.data, top)
    if kind == "Template":
        if _keys_ok(decl, "name"):
            out.templates.append(decl)
        else:
            _declare_key(out, kind, doc.data)
    elif kind == "Settings":
        out.settings.append(decl)
    elif kind == "Location":
        if _keys_ok(decl, "customer", "name"):
            out.locations.append((doc.data["customer"], decl))
        else:
            _declare_key(out, kind, doc.data)
    elif kind == "User":
        if _keys_ok(decl, "customer", "email"):
            out.users.append((doc.data["customer"], decl))
    elif _keys_ok(decl, "externalId"):
        _declare_customer(out, decl, bad)
    else:
        # The nested objects cannot be checked against a customer without a key.
        _declare_key(out, kind, doc.data)


def _declare_customer(out: Declarations, decl: Decl, bad: set[Path]) -> None:
    data = decl.data
    ext = data["externalId"]
    out.customers.append(decl)
    for nested, key in (("locations", "name"), ("users", "email")):
        items = data.get(nested)
        if not isinstance(items, list) or (nested,) in decl.bad:
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            child = Decl(decl.doc, (nested, i), item, _relative(bad, (nested, i)))
            if not _keys_ok(child, key):
                if nested == "locations":
                    out.broken_locations.add((ext, _text(item, "name") or ""))
            elif nested == "locations":
                out.locations.append((ext, child))
            else:
                out.users.append((ext, child))


def unique(
    decls: Iterable[tuple[Any, Decl]], what: str, key_field: str, problems: list[Problem]
) -> dict[Any, Decl]:
    """The first declaration of each key; later ones are problems citing the first."""
    first: dict[Any, Decl] = {}
    for key, decl in decls:
        if key in first:
            shown = key[1] if isinstance(key, tuple) else key
            owner = f" of customer '{key[0]}'" if isinstance(key, tuple) else ""
            problems.append(
                decl.problem(
                    f"duplicate {what} '{shown}'{owner}: also declared at "
                    f"{first[key].where(key_field)}",
                    key_field,
                )
            )
        else:
            first[key] = decl
    return first


def settings_of(decls: list[Decl], problems: list[Problem]) -> Settings:
    if not decls:
        return Settings()
    for extra in decls[1:]:
        problems.append(
            extra.problem(f"a second Settings document: the first is at {decls[0].where()}")
        )
    first = decls[0]
    defaults = Settings()

    def get(name: str, default: Any) -> Any:
        value = first.value(name)
        return default if value is None else value

    return Settings(
        prune=get("prune", defaults.prune),
        max_delete_percent=float(get("maxDeletePercent", defaults.max_delete_percent)),
        max_update_percent=float(get("maxUpdatePercent", defaults.max_update_percent)),
        concurrency=int(get("concurrency", defaults.concurrency)),
        max_requests_per_second=float(
            get("maxRequestsPerSecond", defaults.max_requests_per_second)
        ),
        provider_numbers_wait=float(
            get("providerNumbersWaitSeconds", defaults.provider_numbers_wait)
        ),
    )


def allows_empty(decls: list[Decl]) -> bool:
    """The first Settings document says an empty desired state is intended."""
    return bool(decls) and decls[0].value("allowEmpty") is True
