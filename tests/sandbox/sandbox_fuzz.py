"""Spec-driven fuzzing of the served sandbox.

Requests are drawn with Hypothesis from the official OpenAPI files: bodies from each
operation's request schema (:func:`from_schema`), sometimes patched with real IDs, a
known provisioningId and plausible emails so they get past the first checks, sometimes
replaced by arbitrary JSON; path parameters from the IDs of a seeded estate or random text;
query parameters from their declared schemas. Hostile requests are mixed in: raw bodies that
are not JSON the API takes (nesting thousands deep, NaN, 1e999, 5,000-digit numbers, invalid
UTF-8, a body over the size limit), valid bodies with nested fields replaced by odd types or
unknown nested keys added, and query numbers and booleans no API takes (``offset=10^23``,
``max=1e3``, Arabic-Indic digits, ``True``). Properties, with no fault injected: never a 5xx;
a malformed raw body is never accepted; every 4xx carries the standard error body and a
``trackingid`` header; every 2xx answer validates against the spec
(``contract.check_exchange``).

The Webex Calling routes (calling locations, numbers, countries, the move-users and
disable-calling jobs, their lists and errors, the safe-delete check) are drawn like the others
over an estate with calling locations, calling users and jobs (``fuzz_calling``).

Run: ``python tests/sandbox/sandbox_fuzz.py --examples 2000 [--seed N] [--url URL]``
(without ``--url`` it serves its own sandbox with uvicorn on loopback). Prints the figures
and a JSON line; exits 1 when a property failed.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz_calling
from contract import _spec, check_exchange, response_problems

from reconciler.sandbox.parsing import MAX_DEPTH

PID = "PID-FUZZ"
TOKEN = {"Authorization": "Bearer sandbox-full"}

#: (method, path template under /v1, spec, JSON pointer of the request schema or None)
OPERATIONS: list[tuple[str, str, str]] = [
    ("GET", "/wholesale/customers", "wholesale"),
    ("POST", "/wholesale/customers", "wholesale"),
    ("POST", "/wholesale/customers/validate", "wholesale"),
    ("GET", "/wholesale/customers/{customerId}", "wholesale"),
    ("PUT", "/wholesale/customers/{customerId}", "wholesale"),
    ("DELETE", "/wholesale/customers/{customerId}", "wholesale"),
    ("GET", "/wholesale/subscribers", "wholesale"),
    ("POST", "/wholesale/subscribers", "wholesale"),
    ("POST", "/wholesale/subscribers/validate", "wholesale"),
    ("GET", "/wholesale/subscribers/{subscriberId}", "wholesale"),
    ("PUT", "/wholesale/subscribers/{subscriberId}", "wholesale"),
    ("DELETE", "/wholesale/subscribers/{subscriberId}", "wholesale"),
    ("GET", "/locations", "locations"),
    ("POST", "/locations", "locations"),
    ("GET", "/locations/{locationId}", "locations"),
    ("PUT", "/locations/{locationId}", "locations"),
    ("DELETE", "/locations/{locationId}", "locations"),
    ("GET", "/people", "admin"),
    ("GET", "/people/{personId}", "admin"),
    ("PUT", "/people/{personId}", "admin"),
    ("DELETE", "/people/{personId}", "admin"),
    ("GET", "/roles", "admin"),
    ("GET", "/roles/{roleId}", "admin"),
    *fuzz_calling.OPERATIONS,
]
DROP = {"description", "example", "examples", "x-nullable", "readOnly"}
#: the body limit of the sandbox fuzzed (``SandboxConfig.max_body_bytes`` default)
BODY_LIMIT = 1 << 20
#: query values no API takes as a number or a boolean
ODD_QUERY = [
    str(10**23),
    "9" * 400,
    "-1",
    "-0",
    "1e3",
    "0x10",
    " 7",
    "7 ",
    "\u0661\u0662",
    "1_0",
    "",
    "NaN",
    "True",
    "yes",
    "\x00",
    "%",
]
#: values of types no field of these schemas has, or at the edge of JSON numbers
ODD_VALUES: list[Any] = [
    10**30,
    -(10**30),
    1e308,
    -0.0,
    5e-324,
    [[[]]],
    {"": {}},
    "\u0000",
    "\u202e\u2066",
    "x" * 20_000,
    True,
    None,
    [],
    {"zip": "1"},
]


@dataclass(frozen=True)
class Raw:
    """A body sent as these bytes with a JSON content type; ``malformed``: never acceptable."""

    content: bytes
    malformed: bool


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Inline every ``$ref`` (these specs have no recursive schemas on these paths)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return resolve(spec, target)
        return {k: resolve(spec, v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [resolve(spec, v) for v in node]
    return node


def operation(spec_name: str, method: str, template: str) -> dict[str, Any]:
    op: dict[str, Any] = _spec(spec_name)["paths"][template][method.lower()]
    return op


def body_schema(spec_name: str, method: str, template: str) -> dict[str, Any] | None:
    op = operation(spec_name, method, template)
    content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content or "schema" not in content:
        return None
    schema: dict[str, Any] = resolve(_spec(spec_name), content["schema"])
    return schema


@dataclass
class Estate:
    """IDs of a seeded estate for path parameters and body patches."""

    customers: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    subscribers: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    #: the calling customers' orgs, the one holding the jobs first
    calling_orgs: list[str] = field(default_factory=list)


def seed_estate(client: httpx.Client) -> Estate:
    base = str(client.base_url).removesuffix("/v1/").removesuffix("/v1")
    customers = [
        {
            "externalId": f"fz{i}",
            "adminEmail": f"admin@fz{i}.example.com",
            "packages": ["webex_calling", "webex_meetings", "webex_suite"],
            "address": {"addressLine1": "1 Main", "city": "Austin", "country": "US"},
            "locations": [{"name": "HQ", "calling": True}, {"name": "Branch"}],
            "subscribers": [
                {"email": f"u{j}@fz{i}.example.com", "package": "webex_meetings"} for j in range(3)
            ],
        }
        for i in range(3)
    ]
    customers += [fuzz_calling.customers(i) for i in range(2)]
    client.post(
        f"{base}/_sandbox/seed",
        json={
            "templates": [{"name": "fuzz", "provisioningId": PID}],
            "customers": customers,
            "freeAccounts": ["free@fz.example.com"],
        },
    ).raise_for_status()
    jobs = fuzz_calling.seed_jobs(client, base)
    dump = client.get(f"{base}/_sandbox/dump").json()
    roles = client.get("roles").json()["items"]
    return Estate(
        # the calling customers are left out of the customer IDs drawn, so no drawn DELETE
        # takes the calling estate (and its jobs) away early
        customers=[c["id"] for c in dump["customers"] if not c["externalId"].startswith("fzc")],
        orgs=[c["orgId"] for c in dump["customers"] if c.get("orgId")],
        subscribers=[s["id"] for s in dump["subscribers"]],
        locations=[loc["id"] for loc in dump["locations"]],
        people=[p["id"] for p in dump["people"]],
        roles=[r["id"] for r in roles],
        jobs=jobs,
        calling_orgs=[
            c["orgId"]
            for c in sorted(dump["customers"], key=lambda c: c["externalId"])
            if c["externalId"].startswith("fzc")
        ],
    )


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of a (resolved) OpenAPI schema: objects, arrays, enums and scalars."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        props = {k: from_schema(v) for k, v in (schema.get("properties") or {}).items()}
        required = [k for k in schema.get("required", []) if k in props]
        return st.fixed_dictionaries(
            {k: props[k] for k in required},
            optional={k: v for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items") or {}), max_size=3)
    if kind == "string":
        return st.text(max_size=60)
    if kind == "integer":
        return st.integers(min_value=-(2**40), max_value=2**40)
    if kind == "number":
        return st.integers(-1000, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    return json_values()


def json_values() -> st.SearchStrategy[Any]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    )


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"address": ' + b'{"a": ' * (depth - 1) + b"1" + b"}" * depth


def raw_bodies() -> st.SearchStrategy[Raw]:
    """Bytes no JSON object body should be taken as, and valid but deep ones."""
    too_deep = st.tuples(
        st.integers(MAX_DEPTH + 1, 5000), st.sampled_from(["array", "object"])
    ).map(lambda t: Raw(nested(*t), True))
    shallow = st.integers(2, MAX_DEPTH).map(lambda d: Raw(nested(d, "object"), False))
    broken = st.sampled_from(
        [
            b'{"externalId": NaN}',
            b'{"externalId": Infinity}',
            b'{"externalId": -Infinity}',
            b'{"externalId": 1e999}',
            b'{"externalId": ' + b"9" * 5000 + b"}",
            b"\xff\xfe{}",
            b'{"email": "\xc3"}',
            b"{",
            b"nul",
            b"[]",
            b'"s"',
            b"123",
        ]
    ).map(lambda b: Raw(b, True))
    odd_text = st.sampled_from([b'{"name": "\\ud800"}', b'{"email": "a@b.c", "email": 1}']).map(
        lambda b: Raw(b, False)
    )
    oversized = st.just(Raw(b'{"name": "' + b"x" * BODY_LIMIT + b'"}', True))
    return st.one_of(too_deep, shallow, broken, odd_text, oversized)


def odd_typed(valid: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid body with one field at any depth replaced by an odd value, or an unknown
    nested key added (``address.zip``)."""

    def paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        found = [prefix] if prefix else []
        if isinstance(value, dict):
            for key, child in value.items():
                found += paths(child, (*prefix, key))
        return found

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        body = json.loads(json.dumps(draw(valid)))
        where = draw(st.sampled_from(paths(body)))
        target = body
        for key in where[:-1]:
            target = target[key]
        if draw(st.booleans()) and isinstance(target[where[-1]], dict):
            target[where[-1]]["zip"] = draw(st.sampled_from(["1", None, 2]))
        else:
            target[where[-1]] = draw(st.sampled_from(ODD_VALUES))
        return body

    return build()


def requests_strategy(estate: Estate) -> st.SearchStrategy[tuple[str, str, dict[str, str], Any]]:
    """(method, path, query, body-or-None) drawn over every fuzzed operation."""
    per_op = []
    ids = {
        "customerId": estate.customers,
        "subscriberId": estate.subscribers,
        "locationId": estate.locations,
        "personId": estate.people,
        "roleId": estate.roles,
        "jobId": estate.jobs,
        "countryCode": fuzz_calling.COUNTRIES,
    }
    emails = st.sampled_from(
        [
            "n1@fz0.example.com",
            "u1@fz1.example.com",
            "free@fz.example.com",
            "admin@fz2.example.com",
            "Fresh@New.example.com",
        ]
    )
    patches = {
        "provisioningId": st.just(PID),
        "customerId": st.sampled_from(estate.customers),
        "email": emails,
        "packages": st.sampled_from([["webex_meetings"], ["webex_calling"], ["webex_suite"]]),
        "locationId": st.sampled_from(estate.locations),
        "roles": st.lists(st.sampled_from(estate.roles), max_size=2),
    }
    valid = valid_bodies(estate)
    for method, template, spec_name in OPERATIONS:
        schema = body_schema(spec_name, method, template)
        op = operation(spec_name, method, template)
        path_st: st.SearchStrategy[str] = st.just(template)
        for name, values in ids.items():
            if "{" + name + "}" in template:
                path_st = st.one_of(
                    st.sampled_from(values),
                    st.text(min_size=1, max_size=12).filter(
                        lambda s: "/" not in s and s not in (".", "..")
                    ),
                ).map(lambda v, n=name, t=template: t.replace("{" + n + "}", quote(v, safe="")))
        query_params = {
            p["name"]: p.get("schema", {"type": "string"})
            for p in op.get("parameters", [])
            if p.get("in") == "query"
        }
        # a telephony route mostly names the calling org whose IDs (jobs, numbers) it holds:
        # without it a partner's request is refused before the route's own checks
        telephony = spec_name == "calling" and "orgId" in query_params
        declared = st.fixed_dictionaries(
            {"orgId": fuzz_calling.org_ids(estate.orgs, estate.calling_orgs)} if telephony else {},
            optional={
                name: (
                    st.sampled_from(estate.orgs)
                    if name == "orgId"
                    else from_schema(resolve(_spec(spec_name), schema_)).map(_as_query)
                )
                for name, schema_ in query_params.items()
                if not (telephony and name == "orgId")
            },
        )
        odd_names = sorted(
            {"offset", "max", "start"}
            | {n for n, sc in query_params.items() if sc.get("type") in ("boolean", "integer")}
        )
        odd = st.fixed_dictionaries({}, optional={n: st.sampled_from(ODD_QUERY) for n in odd_names})
        query_st = st.one_of(
            declared,
            st.tuples(declared, odd).map(lambda pair: {**pair[0], **pair[1]}),
        )
        if schema is None:
            body_st: st.SearchStrategy[Any] = st.none()
        else:
            patched = st.tuples(
                from_schema(schema), st.lists(st.sampled_from(sorted(patches)), unique=True)
            ).flatmap(
                lambda pair: st.fixed_dictionaries({k: patches[k] for k in pair[1]}).map(
                    lambda extra, b=pair[0]: {**b, **extra} if isinstance(b, dict) else b
                )
            )
            choices = [from_schema(schema), patched, json_values(), raw_bodies()]
            if (method, template) in valid:
                good = valid[(method, template)]
                choices += [good, mutated(good, schema), mutated(good, schema), odd_typed(good)]
            body_st = st.one_of(choices)
        per_op.append(st.tuples(st.just(method), path_st, query_st, body_st))
    return st.one_of(per_op)


def valid_bodies(estate: Estate) -> dict[tuple[str, str], st.SearchStrategy[dict[str, Any]]]:
    """A body each write would accept (unique keys drawn fresh), to be mutated."""
    uid = st.uuids().map(lambda u: u.hex[:12])
    address = {"addressLine1": "1 Main St", "city": "Austin", "country": "US"}
    calling = {
        "calling": {
            "location": {
                "name": "HQ",
                "address": address,
                "timezone": "America/Chicago",
                "language": "en_us",
            }
        }
    }
    customer = uid.map(
        lambda u: {
            "provisioningId": PID,
            "packages": ["webex_calling", "webex_meetings"],
            "externalId": f"x{u}",
            "address": address,
            "provisioningParameters": calling,
            "customerInfo": {"name": f"C {u}", "primaryEmail": f"a{u}@c.example.com"},
        }
    )
    return {
        **fuzz_calling.valid_bodies(estate.locations, estate.people),
        ("POST", "/wholesale/customers"): customer,
        ("POST", "/wholesale/customers/validate"): customer,
        ("PUT", "/wholesale/customers/{customerId}"): st.just(
            {"packages": ["webex_calling", "webex_meetings", "webex_suite"]}
        ),
        ("POST", "/wholesale/subscribers"): st.tuples(
            uid, st.sampled_from(estate.customers), st.integers(1000, 99999)
        ).map(
            lambda t: {
                "customerId": t[1],
                "email": f"s{t[0]}@c.example.com",
                "packages": ["webex_calling"],
                "provisioningParameters": {"firstName": "F", "extension": str(t[2])},
            }
        ),
        ("POST", "/wholesale/subscribers/validate"): uid.map(
            lambda u: {"customerId": estate.customers[0], "email": f"v{u}@c.example.com"}
        ),
        ("PUT", "/wholesale/subscribers/{subscriberId}"): st.integers(1000, 99999).map(
            lambda n: {"packages": ["webex_suite"], "provisioningParameters": {"extension": str(n)}}
        ),
        ("POST", "/locations"): uid.map(
            lambda u: {
                "name": f"L {u}",
                "timeZone": "America/Chicago",
                "preferredLanguage": "en_us",
                "announcementLanguage": "en_us",
                "address": {
                    "address1": "2 Side",
                    "city": "Dallas",
                    "state": "TX",
                    "postalCode": "75001",
                    "country": "US",
                },
            }
        ),
        ("PUT", "/locations/{locationId}"): uid.map(lambda u: {"name": f"R {u}"}),
        ("PUT", "/people/{personId}"): st.lists(st.sampled_from(estate.roles), max_size=2).map(
            lambda roles: {"displayName": "Fuzzed Name", "roles": roles}
        ),
    }


def mutated(
    valid: st.SearchStrategy[dict[str, Any]], schema: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid body with a few top-level fields deleted or replaced by schema-drawn values."""
    props = schema.get("properties") or {}

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        body = dict(draw(valid))
        keys = sorted(set(body) | set(props))
        for key in draw(st.lists(st.sampled_from(keys), max_size=2, unique=True)):
            if key in body and draw(st.booleans()):
                del body[key]
            else:
                body[key] = draw(from_schema(props[key]) if key in props else json_values())
        return body

    return build()


def _as_query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _answer(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return response.content


@dataclass
class Report:
    requests: int = 0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)


def fuzz(base_url: str, *, examples: int, seed_value: int = 0) -> Report:
    """Fuzz the sandbox at ``base_url`` (``…/v1``) with ``examples`` generated requests."""
    report = Report()
    with httpx.Client(base_url=base_url.rstrip("/") + "/", headers=TOKEN, timeout=30) as client:
        estate = seed_estate(client)

        @seed(seed_value)
        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        @given(requests_strategy(estate))
        def one(request: tuple[str, str, dict[str, str], Any]) -> None:
            method, path, query, body = request
            url = path.lstrip("/")
            kwargs: dict[str, Any] = {"params": query}
            if isinstance(body, Raw):
                kwargs["content"] = body.content
                kwargs["headers"] = {"content-type": "application/json"}
            elif body is not None:
                kwargs["json"] = body
            try:
                response = client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                report.failures.append(f"{method} {path}: transport error {exc!r}")
                return
            report.requests += 1
            report.by_status[response.status_code] += 1
            shown = repr(body.content[:100]) if isinstance(body, Raw) else json.dumps(body)[:300]
            where = f"{method} {path} {json.dumps(query)} {shown}"
            if response.status_code >= 500:
                report.failures.append(f"{where} -> {response.status_code} {response.text[:200]}")
                return
            if isinstance(body, Raw):
                # the request is not JSON a checker could read: check the answer alone
                problems = response_problems(
                    method, path, response.status_code, _answer(response), response.headers
                )
                if body.malformed and response.status_code < 400:
                    problems.append("a malformed body was accepted")
                if problems:
                    report.failures.append(f"{where} -> {'; '.join(problems)}")
                return
            try:
                check_exchange(response.request, response)
            except AssertionError as exc:
                report.failures.append(f"{where} -> {exc}")

        one()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", help="a served sandbox (…/v1); default: serve one here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.url:
        report = fuzz(args.url, examples=args.examples, seed_value=args.seed)
    else:
        from served import served

        from reconciler.sandbox import SandboxConfig

        with served(SandboxConfig(provision_seconds=0.2, seed=args.seed)) as url:
            report = fuzz(url, examples=args.examples, seed_value=args.seed)
    elapsed = time.perf_counter() - started
    for failure in report.failures[:20]:
        print("FAIL", failure)
    statuses = dict(sorted(report.by_status.items()))
    print(
        f"{report.requests} requests in {elapsed:.1f}s, by status {statuses}, "
        f"{len(report.failures)} failures"
    )
    print(
        json.dumps(
            {
                "fuzz_requests": report.requests,
                "by_status": statuses,
                "failures": len(report.failures),
                "seconds": round(elapsed, 2),
            }
        )
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
