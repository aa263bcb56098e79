"""Malformed, oversized, odd-typed and cross-origin requests: a 4xx with the standard body."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_helpers import BASE, Sandbox, customer_body, location_body, subscriber_body

from reconciler.sandbox import SandboxConfig, create_app
from reconciler.sandbox.parsing import MAX_DEPTH

pytestmark = pytest.mark.anyio

WRITES = [
    ("POST", "/wholesale/customers"),
    ("POST", "/wholesale/customers/validate"),
    ("POST", "/wholesale/subscribers"),
    ("POST", "/wholesale/subscribers/validate"),
    ("POST", "/locations"),
]


def standard_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    assert all(isinstance(e["description"], str) for e in body["errors"])
    assert "trackingId" in body
    return body


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
        b'{"externalId": NaN}',
        b'{"externalId": 1e999}',
        b'{"externalId": ' + b"9" * 5000 + b"}",
        b"\xff\xfe{}",
        b'"just a string"',
        b"",
    ],
    ids=["deep-array", "deep-object", "nan", "inf", "huge-int", "not-utf8", "scalar", "empty"],
)
async def test_malformed_bodies_are_400_on_every_write(
    sandbox: Sandbox, method: str, path: str, raw: bytes
) -> None:
    async with sandbox.raw() as client:
        response = await client.request(
            method, path, content=raw, headers={"content-type": "application/json"}
        )
    standard_error(response, 400)


async def test_deep_nesting_on_put_routes_is_400(sandbox: Sandbox) -> None:
    customer_id, org_id = await sandbox.customer()
    nested = b'{"address": ' + b'{"n": ' * 5000 + b'"x"' + b"}" * 5001
    person = (await sandbox.client.get("/people", params={"orgId": org_id})).json()["items"][0]
    location = (await sandbox.client.get("/locations", params={"orgId": org_id})).json()["items"]
    paths = [
        f"/wholesale/customers/{customer_id}",
        f"/locations/{location[0]['id']}",
        f"/people/{person['id']}",
    ]
    async with sandbox.raw() as client:
        for path in paths:
            response = await client.put(path, content=nested, params={"orgId": org_id})
            standard_error(response, 400)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/wholesale/customers", {"offset": str(10**23)}),
        ("/wholesale/customers", {"max": str(10**23)}),
        ("/wholesale/subscribers", {"offset": "-1"}),
        ("/wholesale/subscribers", {"offset": "١٢"}),  # Arabic-Indic digits: int() takes them
        ("/wholesale/subscribers", {"max": " 5"}),
        ("/wholesale/subscribers", {"max": "1_0"}),
        ("/people", {"start": str(2**63)}),
        ("/locations", {"max": "1e3"}),
        ("/wholesale/subscribers", {"after": "9" * 30}),
    ],
)
async def test_odd_query_numbers_are_400(
    sandbox: Sandbox, path: str, params: dict[str, str]
) -> None:
    response = await sandbox.client.get(path, params=params)
    standard_error(response, 400)


@pytest.mark.parametrize("value", ["True", "TRUE", "1", "yes", ""])
async def test_boolean_query_parameters_are_strict(sandbox: Sandbox, value: str) -> None:
    customer_id, _ = await sandbox.customer()
    response = await sandbox.client.get(
        f"/wholesale/customers/{customer_id}", params={"includePackageLicenseInfo": value}
    )
    body = standard_error(response, 400)
    assert "includePackageLicenseInfo" in body["message"]
    listed = await sandbox.client.get("/people", params={"callingData": value})
    standard_error(listed, 400)


async def test_boolean_query_case_switch(sandbox_factory: Any) -> None:
    box = await sandbox_factory(query_bool_ignore_case=True)
    customer_id, _ = await box.customer()
    response = await box.client.get(
        f"/wholesale/customers/{customer_id}", params={"includePackageLicenseInfo": "True"}
    )
    assert response.status_code == 200
    packages = response.json()["resourceDetails"]["packages"]
    assert all(p["licenseIds"] for p in packages)
    wrong = await box.client.get(
        f"/wholesale/customers/{customer_id}", params={"includePackageLicenseInfo": "yes"}
    )
    standard_error(wrong, 400)


async def test_null_is_refused_where_the_spec_types_a_value(sandbox: Sandbox) -> None:
    customer_id, org_id = await sandbox.customer()
    cases = [
        ("POST", "/wholesale/customers", customer_body("n1", subPartnerAdminEmail=None)),
        ("POST", "/locations", location_body("L", notes=None)),
        ("POST", "/wholesale/subscribers", subscriber_body(customer_id, "a@n.example.com")),
    ]
    cases[2][2]["provisioningParameters"]["lastName"] = None
    for method, path, body in cases:
        response = await sandbox.client.request(method, path, json=body, params={"orgId": org_id})
        problems = standard_error(response, 400)["errors"]
        assert any("must not be null" in p["description"] for p in problems), problems
    dump = (await sandbox.admin("GET", "dump")).json()
    assert [c["externalId"] for c in dump["customers"]] == ["acme"]


@pytest.mark.parametrize(("mode", "status"), [("ignore", 202), ("reject", 400)])
async def test_unknown_nested_fields_follow_the_switch(
    sandbox_factory: Any, mode: str, status: int
) -> None:
    box = await sandbox_factory(put_extra_fields=mode)
    body = customer_body("nested")
    body["address"]["zip"] = "78701"
    body["customerInfo"]["phone"] = "+15125550100"
    response = await box.client.post("/wholesale/customers", json=body)
    assert response.status_code == status, response.text
    if mode == "reject":
        described = {e["description"] for e in response.json()["errors"]}
        assert described == {
            "address.zip is not a field of this request.",
            "customerInfo.phone is not a field of this request.",
        }
        return
    customer_id = response.json()["url"].rsplit("/", 1)[1]
    doc = (await box.client.get(f"/wholesale/customers/{customer_id}")).json()
    assert "zip" not in doc["address"]
    assert doc["address"]["zipOrPostalCode"] == "78701"


@pytest.mark.parametrize(("mode", "status"), [("ignore", 201), ("reject", 400)])
async def test_unknown_location_and_person_fields_follow_the_switch(
    sandbox_factory: Any, mode: str, status: int
) -> None:
    box = await sandbox_factory(put_extra_fields=mode)
    _, org_id = await box.customer()
    body = location_body("Odd")
    body["address"]["zip"] = "75001"
    created = await box.client.post("/locations", json=body, params={"orgId": org_id})
    assert created.status_code == status
    person = (await box.client.get("/people", params={"orgId": org_id})).json()["items"][0]
    put = {
        "displayName": "New",
        "phoneNumbers": [{"type": "work", "value": "+15125550100", "extra": 1}],
        "secret": True,
    }
    updated = await box.client.put(f"/people/{person['id']}", json=put)
    assert updated.status_code == (200 if mode == "ignore" else 400)
    if mode == "ignore":
        location_id = created.json()["id"]
        got = await box.client.get(f"/locations/{location_id}", params={"orgId": org_id})
        assert "zip" not in got.json()["address"]
        assert updated.json()["phoneNumbers"] == [
            {"type": "work", "value": "+15125550100", "primary": True}
        ]
        assert "secret" not in updated.json()


async def test_declared_oversized_body_is_413_before_it_is_read(sandbox: Sandbox) -> None:
    limit = sandbox.config.max_body_bytes
    async with sandbox.raw() as client:
        response = await client.post(
            "/wholesale/customers",
            content=b" " * (limit + 1),
            headers={"content-type": "application/json"},
        )
    standard_error(response, 413)


async def test_streamed_oversized_body_is_413_and_not_buffered(sandbox: Sandbox) -> None:
    """200 MB sent without a length: refused after about the limit, the rest never read."""
    sent: list[int] = []
    chunk = b" " * 65536

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(200 * 16):  # 200 MB
            sent.append(len(chunk))
            yield chunk

    async with sandbox.raw() as client:
        response = await client.post(
            "/locations", content=stream(), headers={"content-type": "application/json"}
        )
    standard_error(response, 413)
    assert sum(sent) <= sandbox.config.max_body_bytes + 2 * len(chunk)


def admin_client(sandbox: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url=BASE)


@pytest.mark.parametrize(
    ("method", "path", "headers", "content", "status"),
    [
        ("POST", "/_sandbox/stats/reset", {"origin": "https://evil.example"}, b"", 403),
        ("GET", "/_sandbox/dump", {"origin": "null"}, b"", 403),
        ("POST", "/_sandbox/seed", {"content-type": "text/plain"}, b'{"customers":[]}', 415),
        (
            "POST",
            "/_sandbox/templates",
            {"content-type": "application/x-www-form-urlencoded"},
            b"name=a&provisioningId=b",
            415,
        ),
        ("POST", "/_sandbox/seed", {}, b'{"customers":[]}', 415),
    ],
)
async def test_admin_api_refuses_what_a_web_page_could_send(
    sandbox: Sandbox,
    method: str,
    path: str,
    headers: dict[str, str],
    content: bytes,
    status: int,
) -> None:
    async with admin_client(sandbox) as client:
        before = (await client.get("/_sandbox/templates")).json()
        response = await client.request(method, path, headers=headers, content=content)
        standard_error(response, status)
        assert (await client.get("/_sandbox/templates")).json() == before


async def test_admin_cross_origin_switch_allows_it(sandbox_factory: Any) -> None:
    box = await sandbox_factory(admin_cross_origin=True)
    async with admin_client(box) as client:
        response = await client.post(
            "/_sandbox/templates",
            headers={"origin": "http://localhost:3000", "content-type": "text/plain"},
            content=b'{"name": "web", "provisioningId": "PID-WEB"}',
        )
    assert response.status_code == 201


async def test_admin_api_still_takes_json_and_bodiless_posts(sandbox: Sandbox) -> None:
    async with admin_client(sandbox) as client:
        assert (await client.post("/_sandbox/stats/reset")).status_code == 200
        seeded = await client.post("/_sandbox/seed", json={"customers": []})
        assert seeded.status_code == 200
        deep = await client.post("/_sandbox/seed", content=b"[" * 50_000)
        assert deep.status_code == 415
        deep = await client.post(
            "/_sandbox/seed", content=b"[" * 50_000, headers={"content-type": "application/json"}
        )
        standard_error(deep, 400)


#: one sandbox for every example (what earlier examples seeded only makes later ones harder)
ADMIN_APP = create_app(SandboxConfig())
seed_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
seed_keys = st.sampled_from(
    ["externalId", "address", "locations", "subscribers", "name", "email", "package", "roles"]
)
seed_like = st.recursive(
    seed_values,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(seed_keys, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["seed", "templates"]),
    body=st.dictionaries(
        st.sampled_from(["templates", "freeAccounts", "customers", "name", "provisioningId"]),
        seed_like,
    ),
)
def test_admin_bodies_of_any_shape_are_never_a_500(path: str, body: dict[str, Any]) -> None:
    app = ADMIN_APP

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            return await client.post(f"/_sandbox/{path}", json=body)

    response = asyncio.run(post())
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        standard_error(response, response.status_code)
