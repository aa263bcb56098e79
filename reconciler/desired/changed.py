"""Which customers a change since a git ref touches (for ``--changed-since``): those whose
files changed, or every one (the whole estate) when a Settings document changed, since a
setting (``prune``, the thresholds) reaches every customer."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.git import git as _git
from reconciler.model import Customer, Location, State, User

from . import schemas
from .yamlio import Document, parse


@dataclass(frozen=True, slots=True)
class Declared:
    """Where a valid directory declares what: file → customers with an object there, file →
    templates, customer → the template it uses."""

    customers: Mapping[str, frozenset[str]]
    templates: Mapping[str, frozenset[str]]
    uses: Mapping[str, str | None]

    @classmethod
    def of(cls, state: State) -> Declared:
        customers: dict[str, set[str]] = {}
        for obj in (*state.customers.values(), *parts_of(state)):
            if obj.source:
                ext = obj.external_id if isinstance(obj, Customer) else obj.customer
                customers.setdefault(obj.source.file, set()).add(ext)
        templates: dict[str, set[str]] = {}
        for name, template in state.templates.items():
            if template.source:
                templates.setdefault(template.source.file, set()).add(name)
        return cls(
            {f: frozenset(e) for f, e in customers.items()},
            {f: frozenset(n) for f, n in templates.items()},
            {ext: c.template for ext, c in state.customers.items()},
        )


def customers_changed_since(
    directory: Path,
    gitref: str,
    desired: State | None = None,
    declared: Declared | None = None,
) -> frozenset[str]:
    """externalIds of customers whose files changed since ``gitref``.

    A file counts as changed when ``git diff --name-only REF`` lists it (the working tree against
    the ref) or it is new and untracked. A customer is touched when any of its objects — the
    customer itself, a location, a user — is declared in a changed file, now or at ``gitref``
    (so a moved or deleted declaration counts too), or when it uses a template whose file
    changed. ``desired`` (the directory already loaded) or ``declared`` (what a verdict of it
    says), else it is loaded here. Raises ``ValidationFailed`` if the directory is invalid now,
    ``ConfigError`` if git cannot answer.
    A changed Settings document touches every customer of the YAML.
    """
    from . import load_desired  # the package imports this module

    found = scope_changed_since(directory, gitref, desired, declared)
    if found is not None:
        return found
    if declared is not None:
        return frozenset(declared.uses)
    state = desired if desired is not None else load_desired(directory)
    return frozenset(state.customers)


def scope_changed_since(
    directory: Path,
    gitref: str,
    desired: State | None = None,
    declared: Declared | None = None,
) -> frozenset[str] | None:
    """As :func:`customers_changed_since`, but ``None`` (the whole estate, live customers the
    YAML does not declare included) when a YAML file under ``directory`` that declares Settings
    now or at ``gitref`` changed: a pull request that only turns on ``prune`` must show the
    deletions it causes."""
    from . import load_desired  # the package imports this module

    if gitref.startswith("-"):
        raise ConfigError(f"not a git ref: {gitref!r}")
    directory = Path(directory)
    top = Path(_git(directory, "rev-parse", "--show-toplevel").strip())
    changed = {
        (top / name).resolve()
        for name in _git(top, "diff", "--name-only", "-z", gitref, "--").split("\0")
        + _git(top, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
        if name.endswith((".yaml", ".yml"))
    }
    if _settings_changed(top, directory.resolve(), changed, gitref):
        return None
    if declared is None:
        declared = Declared.of(desired if desired is not None else load_desired(directory))
    files = set(declared.customers) | set(declared.templates)
    hit = {f for f in files if Path(f).resolve() in changed}  # one resolve per file
    templates = {name for f in hit for name in declared.templates.get(f, ())}
    touched = {ext for f in hit for ext in declared.customers.get(f, ())}
    for path in changed:
        old_customers, old_templates = _declared_at(top, path, gitref)
        touched |= old_customers
        templates |= old_templates
    touched |= {ext for ext, name in declared.uses.items() if name in templates}
    return frozenset(touched)


def declares_settings(text: str, name: str) -> bool:
    """Whether the YAML ``text`` (of file ``name``) has a ``kind: Settings`` document."""
    docs, _ = parse(text, name, schemas.string_fields())
    return any(isinstance(d.data, dict) and d.data.get("kind") == "Settings" for d in docs)


def _settings_changed(top: Path, directory: Path, changed: set[Path], gitref: str) -> bool:
    """Whether a changed file under ``directory`` declares Settings now or at ``gitref``."""
    for path in changed:
        if not path.is_relative_to(directory):
            continue
        rel = path.relative_to(top.resolve()).as_posix()
        if path.is_file() and declares_settings(path.read_text(encoding="utf-8"), rel):
            return True
        old = _show(top, gitref, rel)
        if old is not None and declares_settings(old, rel):
            return True
    return False


def _show(top: Path, gitref: str, rel: str) -> str | None:
    """The file ``rel`` at ``gitref`` (None if it did not exist there)."""
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["git", "-C", str(top), "show", f"{gitref}:{rel}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def parts_of(state: State) -> list[Location | User]:
    return [*state.locations.values(), *state.users.values()]


def _declared_at(top: Path, path: Path, gitref: str) -> tuple[set[str], set[str]]:
    """Customers and templates the file declared at ``gitref`` (empty if it did not exist)."""
    rel = path.relative_to(top.resolve()).as_posix()
    text = _show(top, gitref, rel)
    if text is None:
        return set(), set()
    docs, _ = parse(text, rel, schemas.string_fields())
    customers: set[str] = set()
    templates: set[str] = set()
    for doc in docs:
        _collect(doc, customers, templates)
    return customers, templates


def _collect(doc: Document, customers: set[str], templates: set[str]) -> None:
    data = doc.data
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if kind == "Customer" and isinstance(data.get("externalId"), str):
        customers.add(data["externalId"])
    elif kind in ("Location", "User") and isinstance(data.get("customer"), str):
        customers.add(data["customer"])
    elif kind == "Template" and isinstance(data.get("name"), str):
        templates.add(data["name"])
