"""Helpers for the sandbox tests: a fake clock, request bodies, and a contract-checking client."""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx
from contract import check_exchange

from reconciler.sandbox import SandboxConfig, create_app

BASE = "http://sandbox.test"
FULL = {"Authorization": "Bearer sandbox-full"}
READ = {"Authorization": "Bearer sandbox-read"}
PID = "PID-STANDARD"


class FakeClock:
    """Seconds that move only when a test says so (starts at a fixed, realistic epoch)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CheckingTransport(httpx.AsyncBaseTransport):
    """Every ``/v1`` exchange is checked against the official OpenAPI files."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.checked = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.startswith("/v1"):
            content = await response.aread()
            response = httpx.Response(
                response.status_code, headers=response.headers, content=content, request=request
            )
            check_exchange(request, response)
            self.checked += 1
        return response


def address(line1: str = "1 Main St") -> dict[str, str]:
    return {
        "addressLine1": line1,
        "city": "Austin",
        "stateOrProvince": "TX",
        "zipOrPostalCode": "78701",
        "country": "US",
    }


def calling_params(name: str = "HQ") -> dict[str, Any]:
    return {
        "calling": {
            "location": {
                "name": name,
                "address": address(),
                "timezone": "America/Chicago",
                "language": "en_us",
            }
        }
    }


def customer_body(
    external_id: str = "acme",
    *,
    packages: list[str] | None = None,
    calling: bool = True,
    email: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provisioningId": PID,
        "packages": packages if packages is not None else ["webex_calling", "webex_meetings"],
        "externalId": external_id,
        "address": address(),
        "customerInfo": {
            "name": f"{external_id} Inc",
            "primaryEmail": email or f"admin@{external_id}.example.com",
            "language": "en_us",
        },
    }
    if calling:
        body["provisioningParameters"] = calling_params()
    body.update(extra)
    return body


def subscriber_body(
    customer_id: str, email: str, *, package: str = "webex_calling", **params: str
) -> dict[str, Any]:
    parameters = {"firstName": "Ann", "lastName": "Lee", **params}
    if package != "webex_meetings" and not {"primaryPhoneNumber", "extension"} & set(params):
        parameters["extension"] = str(1000 + zlib.crc32(email.encode()) % 8999)
    return {
        "customerId": customer_id,
        "email": email,
        "packages": [package],
        "provisioningParameters": parameters,
    }


def location_body(name: str = "Branch", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "timeZone": "America/Chicago",
        "preferredLanguage": "en_us",
        "announcementLanguage": "en_us",
        "address": {
            "address1": "2 Side St",
            "city": "Dallas",
            "state": "TX",
            "postalCode": "75001",
            "country": "US",
        },
        **extra,
    }


@dataclass
class Sandbox:
    """One in-process sandbox with a fake clock and a checked client (full token)."""

    clock: FakeClock
    config: SandboxConfig
    app: Any
    transport: CheckingTransport
    client: httpx.AsyncClient
    slept: list[float] = field(default_factory=list)

    async def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, f"{BASE}/_sandbox/{path}", json=body)

    async def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = (await self.admin("GET", "stats")).json()
        return data

    async def template(self, name: str = "standard", pid: str = PID) -> None:
        response = await self.admin("POST", "templates", {"name": name, "provisioningId": pid})
        assert response.status_code in (200, 201)

    async def provision(self, external_id: str = "acme", **kw: Any) -> str:
        """POST a customer; its ID."""
        response = await self.client.post(
            "/wholesale/customers", json=customer_body(external_id, **kw)
        )
        assert response.status_code == 202, response.text
        return str(response.json()["url"].rsplit("/", 1)[1])

    async def customer(self, external_id: str = "acme", **kw: Any) -> tuple[str, str]:
        """A provisioned customer: ``(customerId, orgId)``."""
        customer_id = await self.provision(external_id, **kw)
        self.clock.advance(self.config.provision_seconds)
        doc = (await self.client.get(f"/wholesale/customers/{customer_id}")).json()
        assert doc["status"] == "provisioned", doc
        return customer_id, str(doc["orgId"])

    def raw(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        """A client without the contract check (for answers the spec does not allow)."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=f"{BASE}/v1",
            headers=headers or FULL,
        )

    async def close(self) -> None:
        await self.client.aclose()
        self.app.state.store.close()


def make_sandbox(**options: Any) -> Sandbox:
    clock = FakeClock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    options.setdefault("provision_seconds", 2.0)
    config = SandboxConfig(clock=clock, sleep=sleep, **options)
    app = create_app(config)
    transport = CheckingTransport(httpx.ASGITransport(app=app))
    client = httpx.AsyncClient(transport=transport, base_url=f"{BASE}/v1", headers=FULL)
    return Sandbox(clock, config, app, transport, client, slept)


def deep(value: Any) -> Any:
    return copy.deepcopy(value)
