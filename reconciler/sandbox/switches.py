"""The named switches of ``SandboxConfig`` that can be set from text (``sandbox serve --set``).

Only the plain fields are offered: a boolean, a whole number, a number, a fixed set of words,
or a status that may be ``none``. Tokens, faults, timings and seeds have options of their own;
tables (countries, package sets, page sizes, providers) are not one value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal

from reconciler.sandbox.config import SandboxConfig

#: Fields with an option of their own on ``sandbox serve``, or not settings at all.
_OWN_OPTIONS = frozenset(
    {
        "db",
        "full_token",
        "read_token",
        "latency_ms",
        "rate_limit",
        "fail_rate",
        "drop_rate",
        "drop_mode",
        "provision_seconds",
        "provision_error_rate",
        "provision_partial_rate",
        "seed",
        "base_url",
        "client_id",
        "client_secret",
        "clock",
        "sleep",
    }
)


class SwitchError(ValueError):
    """A ``NAME=VALUE`` that names no switch or gives it a value it cannot take."""


def _kinds() -> dict[str, Any]:
    hints = typing.get_type_hints(SandboxConfig)
    kinds: dict[str, Any] = {}
    for f in dataclasses.fields(SandboxConfig):
        if f.name in _OWN_OPTIONS:
            continue
        hint = hints[f.name]
        plain = hint in (bool, int, float, str) or typing.get_origin(hint) is Literal
        status = isinstance(hint, types.UnionType) and set(typing.get_args(hint)) == {
            int,
            type(None),
        }
        if plain or status:
            kinds[f.name] = hint
    return kinds


def names() -> list[str]:
    """Every switch ``parse`` accepts, sorted."""
    return sorted(_kinds())


def _value(name: str, hint: Any, text: str) -> object:
    if hint is bool:
        if text not in ("true", "false"):
            raise SwitchError(f"{name} takes true or false, not {text!r}")
        return text == "true"
    if typing.get_origin(hint) is Literal:
        allowed = typing.get_args(hint)
        if text not in allowed:
            raise SwitchError(f"{name} takes one of {', '.join(map(str, allowed))}, not {text!r}")
        return text
    if hint is str:
        return text
    if text == "none" and isinstance(hint, types.UnionType):
        return None
    try:
        number = float(text) if hint is float else int(text)
    except ValueError:
        wanted = "a number" if hint is float else "a whole number"
        extra = " or none" if isinstance(hint, types.UnionType) else ""
        raise SwitchError(f"{name} takes {wanted}{extra}, not {text!r}") from None
    if number < 0:
        raise SwitchError(f"{name} must not be negative")
    return number


def parse(settings: tuple[str, ...]) -> dict[str, object]:
    """``NAME=VALUE`` texts as keyword arguments of ``SandboxConfig``; a SwitchError for the
    first that names no switch (listing them) or has a value its switch cannot take."""
    kinds = _kinds()
    out: dict[str, object] = {}
    for setting in settings:
        name, sep, text = setting.partition("=")
        name = name.strip()
        if not sep:
            raise SwitchError(f"{setting!r} is not NAME=VALUE")
        if name not in kinds:
            raise SwitchError(f"no switch {name!r}; the switches are: {', '.join(sorted(kinds))}")
        out[name] = _value(name, kinds[name], text.strip())
    return out
