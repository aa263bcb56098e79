"""Check API exchanges against the official OpenAPI files in ``tests/openapi``.

- ``check_request(method, path, body, *, strict=True)``: the request body against the
  operation's request schema. ``strict`` also refuses properties the schema does not declare.
- ``check_response(method, path, status, body, headers=None)``: a 2xx body against the
  operation's response schema (undeclared properties refused), declared headers present; a
  4xx/5xx body against the standard error shape ``{message, errors[{description,
  errorCode?}], trackingId}``.
- ``check_exchange(request, response)``: both, for an ``httpx`` pair. A request the spec
  forbids must have been refused (4xx); a 2xx answer implies the request was valid.

Paths may be given with or without the ``/v1`` prefix, as full URLs or paths. Wholesale paths
use ``webex-wholesale.json``; ``/people``, ``/roles`` and ``/organizations`` ``webex-admin.json``;
``/locations`` ``webex-locations.json`` (the official location request schemas with the
documented answers; checked leniently); ``/telephony/config`` ``webex-cloud-calling.json``
(operations transcribed from the Cloud Calling extracts; checked strictly). Other paths
(``/access_token``, ``/_sandbox``) are not covered and pass. Violations raise
:class:`ContractViolation` listing every problem.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPECS = Path(__file__).resolve().parent / "openapi"
FILES = {
    "wholesale": ("webex-wholesale.json", True),
    "admin": ("webex-admin.json", True),
    "locations": ("webex-locations.json", False),
    "calling": ("webex-cloud-calling.json", True),
}
METHODS = ("get", "post", "put", "delete", "patch")


class ContractViolation(AssertionError):
    """An exchange the official spec does not allow."""


@dataclass(frozen=True)
class Operation:
    spec: str
    template: str
    method: str
    pointer: str  # JSON pointer of the operation in its spec
    op: dict[str, Any]


def _strict(node: Any) -> Any:
    """Refuse undeclared properties wherever a schema declares properties."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@functools.cache
def _spec(name: str) -> dict[str, Any]:
    filename, _ = FILES[name]
    text = (SPECS / filename).read_text()
    loaded: dict[str, Any] = (
        json.loads(text) if filename.endswith(".json") else yaml.safe_load(text)
    )
    return loaded


@functools.cache
def _registry(name: str, strict: bool) -> Registry:
    spec = _spec(name)
    contents = _strict(copy.deepcopy(spec)) if strict and FILES[name][1] else spec
    resource = Resource.from_contents(contents, default_specification=DRAFT4)
    return Registry().with_resource(f"urn:{name}", resource)


@functools.cache
def _operations() -> list[tuple[re.Pattern[str], Operation]]:
    out: list[tuple[re.Pattern[str], Operation]] = []
    for name in FILES:
        for template, item in _spec(name)["paths"].items():
            if name == "admin" and not template.startswith(("/people", "/roles", "/organizations")):
                continue
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method in METHODS:
                if method in item:
                    escaped = template.replace("~", "~0").replace("/", "~1")
                    out.append(
                        (
                            pattern,
                            Operation(
                                name, template, method, f"/paths/{escaped}/{method}", item[method]
                            ),
                        )
                    )
    # literal segments win over parameters (``/people/me`` before ``/people/{personId}``)
    out.sort(key=lambda pair: pair[1].template.count("{"))
    return out


def find_operation(method: str, path: str) -> Operation | None:
    path = urlsplit(path).path
    path = path.removeprefix("/v1") or "/"
    for pattern, operation in _operations():
        if operation.method == method.lower() and pattern.match(path):
            return operation
    return None


def _errors(name: str, pointer: str, instance: Any, *, strict: bool) -> list[str]:
    validator = jsonschema.Draft4Validator(
        {"$ref": f"urn:{name}#{pointer}"}, registry=_registry(name, strict)
    )
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def request_problems(method: str, path: str, body: Any, *, strict: bool = True) -> list[str]:
    """Every way ``body`` breaks the request schema (empty when it conforms or is uncovered)."""
    operation = find_operation(method, path)
    if operation is None:
        return []
    content = (operation.op.get("requestBody") or {}).get("content") or {}
    if "application/json" not in content or "schema" not in content["application/json"]:
        return [] if body is None else [f"{method} {path} takes no JSON body"]
    if body is None:
        required = (operation.op.get("requestBody") or {}).get("required", False)
        return ["a JSON body is required"] if required else []
    pointer = f"{operation.pointer}/requestBody/content/application~1json/schema"
    return _errors(operation.spec, pointer, body, strict=strict)


def check_request(method: str, path: str, body: Any, *, strict: bool = True) -> None:
    """Raise :class:`ContractViolation` unless ``body`` conforms to the request schema."""
    problems = request_problems(method, path, body, strict=strict)
    if problems:
        raise ContractViolation(f"{method} {path} request: " + "; ".join(problems))


def error_body_problems(body: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(body, dict):
        return ["error body is not a JSON object"]
    if not isinstance(body.get("message"), str):
        problems.append("error body lacks a string message")
    if not isinstance(body.get("trackingId"), str) or not body["trackingId"]:
        problems.append("error body lacks a trackingId")
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        problems.append("error body lacks errors[]")
    else:
        for item in errors:
            if not isinstance(item, dict) or not isinstance(item.get("description"), str):
                problems.append("errors[] item lacks a description")
            elif "errorCode" in item and not isinstance(item["errorCode"], int | float):
                problems.append("errors[].errorCode is not a number")
    return problems


def response_problems(
    method: str, path: str, status: int, body: Any, headers: Any = None
) -> list[str]:
    headers = {k.lower(): v for k, v in dict(headers or {}).items()}
    if status >= 400:
        problems = error_body_problems(body)
        if headers and "trackingid" not in headers:
            problems.append("no trackingid header")
        return problems
    operation = find_operation(method, path)
    if operation is None:
        return []
    declared = operation.op.get("responses", {}).get(str(status))
    if declared is None:
        return [f"status {status} is not a documented answer of {method} {operation.template}"]
    problems = []
    for header in declared.get("headers") or {}:
        if header.lower() == "link":
            continue  # only present when there is a next page
        if operation.template.endswith("}") and method.upper() == "GET":
            continue  # the spec oddly declares Location on GET answers; not required
        if headers and header.lower() not in headers:
            problems.append(f"missing header {header}")
    content = (declared.get("content") or {}).get("application/json")
    if content is None or "schema" not in content:
        if body not in (None, b"", ""):
            problems.append(f"status {status} has no body in the spec, got {body!r}")
        return problems
    pointer = f"{operation.pointer}/responses/{status}/content/application~1json/schema"
    return problems + _errors(operation.spec, pointer, body, strict=True)


def check_response(method: str, path: str, status: int, body: Any, headers: Any = None) -> None:
    problems = response_problems(method, path, status, body, headers)
    if problems:
        raise ContractViolation(f"{method} {path} -> {status}: " + "; ".join(problems))


def _json(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content


def check_exchange(request: httpx.Request, response: httpx.Response) -> None:
    """Check one request/response pair (the response must have been read)."""
    method, path = request.method, request.url.path
    problems: list[str] = []
    if find_operation(method, path) is not None and "json" in request.headers.get(
        "content-type", "json"
    ):
        body = _json(request.content)
        invalid = request_problems(method, path, body, strict=False)
        if invalid and response.status_code < 400:
            problems.append(f"accepted a request the spec forbids ({'; '.join(invalid)})")
    problems += response_problems(
        method, path, response.status_code, _json(response.content), response.headers
    )
    if problems:
        raise ContractViolation(
            f"{method} {path} -> {response.status_code}: " + "; ".join(problems)
        )
