"""Request parsing every route shares: bounded bodies, strict JSON, known fields, strict queries.

Anything malformed is a 400 (413 for a body over the limit) with the standard error body, never
a 500: the handlers only ever see a JSON object of bounded depth whose fields are the ones the
route's schema declares (see :mod:`reconciler.sandbox.shapes`), and query values that parsed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from starlette.requests import Request

from reconciler.sandbox.errors import ApiError, bad_request

#: Deeper JSON is refused. The deepest body any route takes nests four levels.
MAX_DEPTH = 32
#: Query integers above this are refused (the API's integers are 32-bit).
MAX_INT = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Items:
    """A list whose items are objects of ``shape``."""

    shape: Shape


#: Known fields of an object: a field maps to None (a value), a nested object's shape, or Items.
Shape = Mapping[str, Union["Shape", Items, None]]


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body exceeds the limit of {limit} bytes.")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read in chunks and refused (413) once it passes ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before anything is read. The bytes
    are kept on the request, so ``request.body()`` answers from them afterwards.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    request._body = b"".join(chunks)
    return request._body


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


def depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in item if isinstance(child, dict | list))
    return deepest


def parse_json(raw: bytes) -> Any:
    """Strict JSON (UTF-8, no NaN/Infinity, finite numbers, depth ≤ MAX_DEPTH), else 400."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_constant, parse_float=_finite)
    except RecursionError:
        raise bad_request(f"The request body nests deeper than {MAX_DEPTH} levels.") from None
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.") from None
    if depth(value) > MAX_DEPTH:
        raise bad_request(f"The request body nests deeper than {MAX_DEPTH} levels.")
    return value


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (400 for anything else, an empty body included)."""
    raw = await request.body()
    body = parse_json(raw) if raw else None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def known_fields(
    body: Mapping[str, Any], shape: Shape, extra: Literal["ignore", "reject"]
) -> dict[str, Any]:
    """``body`` with only the fields ``shape`` declares, at every level.

    Unknown fields are dropped (``extra="ignore"``) or refused (``"reject"``: one 400 naming
    each, e.g. ``address.zip``). A declared field sent as ``null`` is refused: no field of these
    schemas is nullable. A value of the wrong type is kept for the route's checks to report.
    """
    unknown: list[str] = []
    nulls: list[str] = []
    out = _filter(body, shape, "", unknown, nulls)
    problems = [f"{path} must not be null." for path in nulls]
    if extra == "reject":
        problems += [f"{path} is not a field of this request." for path in unknown]
    if problems:
        raise bad_request(*problems)
    return out


def _filter(
    obj: Mapping[str, Any], shape: Shape, path: str, unknown: list[str], nulls: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        where = f"{path}{key}"
        if key not in shape:
            unknown.append(where)
            continue
        sub = shape[key]
        if value is None:
            nulls.append(where)
        elif isinstance(sub, Items) and isinstance(value, list):
            value = [
                _filter(item, sub.shape, f"{where}[{i}].", unknown, nulls)
                if isinstance(item, dict)
                else item
                for i, item in enumerate(value)
            ]
        elif isinstance(sub, Mapping) and isinstance(value, dict):
            value = _filter(value, sub, f"{where}.", unknown, nulls)
        out[key] = value
    return out


def int_param(request: Request, name: str, default: int) -> int:
    """A non-negative decimal integer up to MAX_INT (ASCII digits only), else 400."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw):
        raise bad_request(f"Query parameter {name} must be a non-negative integer.")
    if len(raw) > 10 or int(raw) > MAX_INT:
        raise bad_request(f"Query parameter {name} must be at most {MAX_INT}.")
    return int(raw)


def bool_param(request: Request, name: str, *, ignore_case: bool = False) -> bool:
    """A boolean query parameter: ``true`` or ``false`` (absent: false), anything else 400.

    ``ignore_case`` also takes ``True``/``FALSE``…; see ``SandboxConfig.query_bool_ignore_case``.
    """
    raw = request.query_params.get(name)
    if raw is None:
        return False
    text = raw.lower() if ignore_case else raw
    if text not in ("true", "false"):
        raise bad_request(f"Query parameter {name} must be true or false, got '{raw[:40]}'.")
    return text == "true"
