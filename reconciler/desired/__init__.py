"""The desired-state directory: load, validate, resolve.

``load_desired(directory)`` is the one entry point: it reads every ``*.yaml``/``*.yml`` below the
directory, checks each document against its kind's JSON Schema and every semantic rule, and
returns the fully resolved ``State`` — or raises ``ValidationFailed`` with every problem found.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ConfigError, Problem, ValidationFailed
from reconciler.model import State

from .build import Declarations, allows_empty
from .changed import customers_changed_since, scope_changed_since
from .collector import pausing
from .resolve import resolve

__all__ = [
    "Checked",
    "check_directory",
    "customers_changed_since",
    "load_desired",
    "scope_changed_since",
]


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of checking a directory: the (partial, if there are problems) state."""

    state: State
    problems: list[Problem]
    files: int
    #: Documents per kind, as declared (nested locations and users included).
    counts: Counter[str]


@pausing
def check_directory(directory: Path) -> Checked:
    """Check everything; the problems come sorted.

    ``ConfigError`` if it cannot be read at all, or holds no object (no Template, Customer,
    Location or User: most likely a mistyped path) without a ``Settings`` document that says
    ``allowEmpty: true``.
    """
    from .cache import check_sources, read_sources  # it builds on this module

    sources, problems = read_sources(Path(directory), b"")
    return check_sources(directory, sources, problems, None)[0]


def checked_of(
    directory: Path, decls: Declarations, problems: list[Problem], files: int
) -> Checked:
    """Resolve ``decls`` (appending to ``problems``) into the outcome of checking a directory
    of ``files`` YAML files; ``ConfigError`` when it holds no object (see ``check_directory``)."""
    state = resolve(decls, problems)
    counts = Counter(
        {
            "Template": len(decls.templates),
            "Customer": len(decls.customers),
            "Location": len(decls.locations),
            "User": len(decls.users),
            "Settings": len(decls.settings),
        }
    )
    if not problems and counts.total() == counts["Settings"] and not allows_empty(decls.settings):
        raise ConfigError(
            f"no objects found under {directory} ({files} YAML file{'' if files == 1 else 's'}"
            "; a Settings document with allowEmpty: true accepts an empty desired state)"
        )
    return Checked(state, sorted(set(problems)), files, counts)


def load_desired(directory: Path) -> State:
    """The resolved desired state of ``directory``; ``ValidationFailed`` lists all problems."""
    checked = check_directory(directory)
    if checked.problems:
        raise ValidationFailed(checked.problems)
    return checked.state
