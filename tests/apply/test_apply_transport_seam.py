"""open_client's wrap_transport seam (how the journal sees every request) and the proxy the
API transport is built with."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.api import Credentials
from reconciler.workflow.connect import ApiTarget, open_client, proxy_for

API = "https://webexapis.com/v1"


@pytest.mark.parametrize("proxy", [None, "http://proxy:3128"])
def test_api_target_requests_go_through_the_wrapped_transport(proxy: str | None) -> None:
    seen: list[tuple[str, str, str]] = []
    wrapped: list[httpx.AsyncBaseTransport] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.headers["user-agent"]))
        return httpx.Response(200, json={"items": [{"id": "R1", "name": "Full Administrator"}]})

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wrapped.append(inner)
        return httpx.MockTransport(answer)

    async def run() -> list[dict[str, object]]:
        target = ApiTarget(url=API, credentials=Credentials(token="T"), proxy=proxy)
        async with open_client(target, read_only=True, wrap_transport=wrap) as client:
            return await client.list_roles()

    roles = asyncio.run(run())
    assert roles == [{"id": "R1", "name": "Full Administrator"}]
    assert [s[:2] for s in seen] == [("GET", "/v1/roles")]
    assert seen[0][2].startswith("reconciler/")
    assert len(wrapped) == 1
    assert type(wrapped[0]) is httpx.AsyncHTTPTransport


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "http://proxy:3128"),
        (
            {"https_proxy": "http://lower:3128", "HTTPS_PROXY": "http://upper:1"},
            "http://lower:3128",
        ),
        ({"HTTP_PROXY": "http://plain:3128"}, None),  # another scheme's proxy
        ({"ALL_PROXY": "socks5://all:1080"}, "socks5://all:1080"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "localhost, webexapis.com"}, None),
        ({"HTTPS_PROXY": "http://p:1", "no_proxy": ".webexapis.com"}, None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "https://webexapis.com:443"}, None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "http://p:1"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "apis.com"}, "http://p:1"),
    ],
)
def test_proxy_for_reads_the_environment_like_httpx(
    env: dict[str, str], expected: str | None
) -> None:
    assert proxy_for(API, env) == expected


def test_proxy_for_no_proxy_covers_subdomains_and_loopback() -> None:
    env = {"HTTPS_PROXY": "http://p:1", "HTTP_PROXY": "http://p:2", "NO_PROXY": "example.com,[::1]"}
    assert proxy_for("https://api.eu.example.com/v1", env) is None
    assert proxy_for("http://[::1]:8080/v1", env) is None
    assert proxy_for("http://127.0.0.1:8080/v1", env) == "http://p:2"
