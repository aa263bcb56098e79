"""Documents → declarations: envelope and schema checks, nested objects flattened, duplicates.

Nested ``locations:``/``users:`` under a Customer become the same declarations as separate
documents with ``customer:``, so the rest of the loader sees one shape.

A document (or nested item) that fails its schema is not built, but its key is remembered, so a
reference to it does not add a second, misleading problem.
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
        bad: set[Path]
        if doc.broken:  # already reported; keep its key so references to it stay quiet
            errors, bad = [], {("kind",)}
        else:
            errors = schemas.check(doc, kind, doc.data)
            bad = {path for path, _ in errors}
        problems.extend(p for _, p in errors)
        _declare(out, kind, doc, bad)
    return out, problems


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


def _declare(out: Declarations, kind: str, doc: Document, bad: set[Path]) -> None:
    data = doc.data
    top_bad = {p for p in bad if not (len(p) >= 2 and p[0] in ("locations", "users"))}
    if kind == "Template":
        if top_bad:
            out.broken_templates.add(_text(data, "name") or "")
        else:
            out.templates.append(Decl(doc, (), data))
    elif kind == "Settings":
        if not top_bad:
            out.settings.append(Decl(doc, (), data))
    elif kind == "Location":
        customer = _text(data, "customer") or ""
        if top_bad:
            out.broken_locations.add((customer, _text(data, "name") or ""))
        else:
            out.locations.append((customer, Decl(doc, (), data)))
    elif kind == "User":
        if not top_bad:
            out.users.append((_text(data, "customer") or "", Decl(doc, (), data)))
    else:
        _declare_customer(out, doc, bad, top_bad)


def _declare_customer(out: Declarations, doc: Document, bad: set[Path], top_bad: set[Path]) -> None:
    data = doc.data
    ext = _text(data, "externalId") or ""
    nested_bad = {p[:2] for p in bad - top_bad}
    locations = data.get("locations") if isinstance(data.get("locations"), list) else []
    users = data.get("users") if isinstance(data.get("users"), list) else []
    if top_bad:
        # Keep the keys only: the nested objects cannot be checked against a broken customer.
        out.broken_customers.add(ext)
        out.broken_locations.update((ext, _text(item, "name") or "") for item in locations)
        return
    out.customers.append(Decl(doc, (), data))
    for i, item in enumerate(locations):
        if ("locations", i) in nested_bad:
            out.broken_locations.add((ext, _text(item, "name") or ""))
        else:
            out.locations.append((ext, Decl(doc, ("locations", i), item)))
    for i, item in enumerate(users):
        if ("users", i) not in nested_bad:
            out.users.append((ext, Decl(doc, ("users", i), item)))


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
    data = decls[0].data
    defaults = Settings()
    return Settings(
        prune=data.get("prune", defaults.prune),
        max_delete_percent=float(data.get("maxDeletePercent", defaults.max_delete_percent)),
        max_update_percent=float(data.get("maxUpdatePercent", defaults.max_update_percent)),
        concurrency=int(data.get("concurrency", defaults.concurrency)),
        max_requests_per_second=float(
            data.get("maxRequestsPerSecond", defaults.max_requests_per_second)
        ),
    )
