"""Credentials from the environment, the refresh grant, one refresh on 401, http:// refusal."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest
from api_helpers import CANARY, FakeTime, Recorder, make_client, run

from reconciler.api import Credentials, RefreshGrant, check_api_url, credentials_from_env
from reconciler.errors import AuthError, UsageError

GRANT_ENV = {
    "WEBEX_CLIENT_ID": "cid",
    "WEBEX_CLIENT_SECRET": CANARY + "-secret",
    "WEBEX_REFRESH_TOKEN": CANARY + "-refresh",
}


def test_api_env_token_and_grant_both_set_is_a_usage_error_naming_them() -> None:
    # An expired token must not silently win over a valid grant.
    with pytest.raises(UsageError) as raised:
        credentials_from_env({"WEBEX_TOKEN": CANARY, **GRANT_ENV})
    assert str(raised.value) == (
        "both WEBEX_TOKEN and the refresh grant (WEBEX_CLIENT_ID, WEBEX_CLIENT_SECRET, "
        "WEBEX_REFRESH_TOKEN) are set; set only one"
    )
    assert CANARY not in str(raised.value)
    with pytest.raises(UsageError, match="set only one"):
        credentials_from_env({"WEBEX_TOKEN": CANARY, "WEBEX_CLIENT_ID": "cid"})


def test_api_env_empty_values_are_unset() -> None:
    # An unset GitHub secret arrives as an empty string.
    empty_grant = dict.fromkeys(GRANT_ENV, "")
    creds = credentials_from_env({"WEBEX_TOKEN": CANARY, **empty_grant})
    assert creds is not None
    assert creds.token == CANARY
    grant = credentials_from_env({"WEBEX_TOKEN": "", **GRANT_ENV})
    assert grant is not None
    assert grant.kind == "refresh grant"


def test_api_env_grant_and_nothing() -> None:
    creds = credentials_from_env(GRANT_ENV)
    assert creds is not None
    assert creds.kind == "refresh grant"
    assert credentials_from_env({}) is None
    assert credentials_from_env({"WEBEX_TOKEN": "  "}) is None


def test_api_env_incomplete_grant_names_the_missing_variables() -> None:
    with pytest.raises(UsageError, match="WEBEX_CLIENT_SECRET, WEBEX_REFRESH_TOKEN missing"):
        credentials_from_env({"WEBEX_CLIENT_ID": "cid"})


def test_api_credentials_never_show_secrets() -> None:
    creds = credentials_from_env({"WEBEX_TOKEN": CANARY})
    assert CANARY not in repr(creds)
    assert CANARY not in str(creds)
    grant = credentials_from_env(GRANT_ENV)
    assert CANARY not in repr(grant)
    assert CANARY not in str(grant)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/v1",
        "http://127.0.0.1:8000/v1",
        "http://127.8.9.10/v1",
        "http://[::1]:9000/v1",
        "https://webexapis.com/v1/",
        "https://api.example.com/v1",
    ],
)
def test_api_url_allowed(url: str) -> None:
    assert check_api_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://webexapis.com/v1",
        "http://10.0.0.5/v1",
        "http://localhost.example.com/v1",
        "http://128.0.0.1/v1",
        "ftp://webexapis.com/v1",
        "webexapis.com/v1",
    ],
)
def test_api_url_plain_http_refused_except_loopback(url: str) -> None:
    with pytest.raises(UsageError):
        check_api_url(url)


def token_server(*, fail_refresh: bool = False) -> Recorder:
    """Issues access tokens A1, A2, …; API calls succeed only with the newest token."""
    state = {"issued": 0}

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/access_token":
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["refresh_token"]
            assert form["client_id"] == ["cid"]
            assert form["refresh_token"] == [GRANT_ENV["WEBEX_REFRESH_TOKEN"]]
            if fail_refresh:
                return httpx.Response(400, json={"message": "invalid_grant"})
            state["issued"] += 1
            return httpx.Response(200, json={"access_token": f"{CANARY}-A{state['issued']}"})
        if request.headers["Authorization"] == f"Bearer {CANARY}-A{state['issued']}":
            return httpx.Response(200, json={"items": []})
        return httpx.Response(401, json={"message": "expired"})

    return Recorder(respond)


def grant_for(http: httpx.AsyncClient) -> RefreshGrant:
    creds = credentials_from_env(GRANT_ENV)
    assert creds is not None
    return RefreshGrant(creds, http=http, api_url="https://webexapis.com/v1")


def test_api_refresh_grant_fetches_a_token_first(fake_time: FakeTime) -> None:
    rec = token_server()

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time, tokens=grant_for(http)).list_roles()

    run(go())
    assert [r.url.path for r in rec.requests] == ["/v1/access_token", "/v1/roles"]
    assert rec.requests[0].headers["content-type"] == "application/x-www-form-urlencoded"


def test_api_401_refreshes_once_then_retries(fake_time: FakeTime) -> None:
    rec = token_server()

    async def go() -> int:
        async with rec.http() as http:
            grant = grant_for(http)
            client = make_client(http, fake_time, tokens=grant)
            await client.list_roles()
            grant._access = "stale"  # the server expired our token
            await client.list_roles()
            return grant.refreshes

    assert run(go()) == 2
    assert [r.url.path for r in rec.requests] == [
        "/v1/access_token",
        "/v1/roles",
        "/v1/roles",
        "/v1/access_token",
        "/v1/roles",
    ]


def test_api_concurrent_401s_share_one_refresh(fake_time: FakeTime) -> None:
    rec = token_server()

    async def go() -> int:
        async with rec.http() as http:
            grant = grant_for(http)
            client = make_client(http, fake_time, tokens=grant)
            await client.list_roles()
            grant._access = "stale"
            await asyncio.gather(*(client.list_roles() for _ in range(5)))
            return grant.refreshes

    assert run(go()) == 2


def test_api_401_after_refresh_is_an_auth_error(fake_time: FakeTime) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/access_token":
            return httpx.Response(200, json={"access_token": CANARY})
        return httpx.Response(401, json={"message": "nope"})

    rec = Recorder(respond)

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time, tokens=grant_for(http)).list_roles()

    with pytest.raises(AuthError) as info:
        run(go())
    assert info.value.status == 401
    assert [r.url.path for r in rec.requests].count("/v1/access_token") == 2
    assert CANARY not in str(info.value)


def test_api_static_token_401_is_not_retried(fake_time: FakeTime) -> None:
    rec = Recorder(lambda r: httpx.Response(401, json={"message": "bad token"}))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time).list_roles()

    with pytest.raises(AuthError, match="bad token"):
        run(go())
    assert len(rec.requests) == 1


def test_api_failed_refresh_names_the_variables_not_the_values(fake_time: FakeTime) -> None:
    rec = token_server(fail_refresh=True)

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, fake_time, tokens=grant_for(http)).list_roles()

    with pytest.raises(AuthError, match="WEBEX_REFRESH_TOKEN") as info:
        run(go())
    assert CANARY not in str(info.value)
    assert CANARY not in repr(info.value)


def test_api_refresh_grant_needs_all_three_values() -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as http:
            RefreshGrant(Credentials(client_id="x"), http=http, api_url="https://x/v1")

    with pytest.raises(UsageError):
        run(go())
