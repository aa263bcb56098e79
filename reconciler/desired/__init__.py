"""The desired-state directory: load, validate, resolve (SPEC §2).

``load_desired(directory)`` is the one entry point: it reads every ``*.yaml``/``*.yml`` below the
directory, checks each document against its kind's JSON Schema and every semantic rule, and
returns the fully resolved ``State`` — or raises ``ValidationFailed`` with every problem found.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import Problem, ValidationFailed
from reconciler.model import State

from . import schemas
from .build import declare
from .changed import customers_changed_since
from .resolve import resolve
from .yamlio import read_directory

__all__ = ["check_directory", "customers_changed_since", "load_desired"]


def check_directory(directory: Path) -> tuple[State, list[Problem]]:
    """The resolved state and every problem (sorted); the state is partial when there are some.

    Raises ``ConfigError`` when the directory cannot be read at all.
    """
    docs, problems = read_directory(Path(directory), schemas.string_fields())
    decls, schema_problems = declare(docs)
    problems.extend(schema_problems)
    state = resolve(decls, problems)
    return state, sorted(set(problems))


def load_desired(directory: Path) -> State:
    """The resolved desired state of ``directory``; ``ValidationFailed`` lists all problems."""
    state, problems = check_directory(directory)
    if problems:
        raise ValidationFailed(problems)
    return state
