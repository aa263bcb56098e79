"""Odd servers and odd tokens: errors naming the URL and status, never an empty result."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import BASE, CANARY, FakeTime, Recorder, make_client, run
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from served import served

from reconciler.api import RefreshGrant, RetryPolicy, StaticToken, WebexClient
from reconciler.api.auth import credentials_from_env
from reconciler.api.http import UnexpectedAnswer
from reconciler.cli import cli
from reconciler.errors import ApiError, AuthError, ReconcilerError, UsageError
from reconciler.sandbox import SandboxConfig

Call = Callable[[WebexClient], Awaitable[Any]]
LISTS: list[tuple[str, Call]] = [
    ("customers", lambda c: c.list_customers()),
    ("subscribers", lambda c: c.list_subscribers()),
    ("locations", lambda c: c.list_locations("ORG")),
    ("people", lambda c: c.list_people("ORG")),
    ("roles", lambda c: c.list_roles()),
    ("organizations", lambda c: c.list_organizations()),
    ("get-customer", lambda c: c.get_customer("C1")),
]
RETRY = RetryPolicy(attempts=2, rate_limit_attempts=2, retry_after_cap=1.0)


def answering(response: Callable[[], httpx.Response]) -> Recorder:
    return Recorder(lambda request: response())


def outcome(rec: Recorder, call: Call) -> Any:
    async def go() -> Any:
        async with rec.http() as http:
            return await call(make_client(http, FakeTime(), retry=RETRY))

    return run(go())


@pytest.mark.parametrize(("name", "call"), LISTS, ids=[n for n, _ in LISTS])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_an_error_naming_url_and_status(name: str, call: Call, status: int) -> None:
    rec = answering(
        lambda: httpx.Response(status, headers={"location": "https://portal.example/login"})
    )
    with pytest.raises(UnexpectedAnswer) as info:
        outcome(rec, call)
    assert info.value.status == status
    text = str(info.value)
    assert f"{BASE}/" in text
    assert "redirect to https://portal.example/login" in text
    assert len(rec.requests) == 1  # not followed


@pytest.mark.parametrize(("name", "call"), LISTS, ids=[n for n, _ in LISTS])
@pytest.mark.parametrize(
    ("content", "ctype", "says"),
    [
        (b"", "application/json", "empty body"),
        (b"   \n", "application/json", "empty body"),
        (b"<html><body>Sign in</body></html>", "text/html", "not JSON (text/html)"),
        (b"OK", "text/plain", "not JSON (text/plain)"),
    ],
)
def test_empty_or_non_json_get_is_an_error(
    name: str, call: Call, content: bytes, ctype: str, says: str
) -> None:
    rec = answering(lambda: httpx.Response(200, content=content, headers={"content-type": ctype}))
    with pytest.raises(UnexpectedAnswer) as info:
        outcome(rec, call)
    assert info.value.status == 200
    assert says in str(info.value)
    assert f"{BASE}/" in str(info.value)


@pytest.mark.parametrize(("name", "call"), LISTS[:-1], ids=[n for n, _ in LISTS[:-1]])
@pytest.mark.parametrize("body", [{}, {"item": []}, {"items": None}, {"items": {}}])
def test_list_answer_without_items_is_an_error(name: str, call: Call, body: Any) -> None:
    rec = answering(lambda: httpx.Response(200, json=body))
    with pytest.raises(ApiError, match="without an items array"):
        outcome(rec, call)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
keyed = st.fixed_dictionaries(
    {},
    optional={
        "items": json_values,
        "message": json_values,
        "errors": json_values,
        "trackingId": json_values,
        "url": json_values,
    },
)


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(
    body=st.one_of(json_values, keyed),
    status=st.sampled_from([200, 202, 400, 404, 409, 423, 429, 500]),
    which=st.sampled_from([*range(len(LISTS)), -1, -2]),
)
def test_garbage_json_is_never_a_crash(body: Any, status: int, which: int) -> None:
    """Whatever JSON comes back, a call returns dicts or raises the tool's own errors."""
    calls: list[Call] = [call for _, call in LISTS]
    calls += [
        lambda c: c.create_customer({"externalId": "x"}),
        lambda c: c.update_person("P1", {"displayName": "x"}),
    ]
    answers = [httpx.Response(status, json=body, headers={"retry-after": "0"})]

    def respond(request: httpx.Request) -> httpx.Response:
        # the garbage once, then an empty page: a list that never ends is another test's
        return answers.pop() if answers else httpx.Response(200, json={"items": []})

    rec = Recorder(respond)
    try:
        result = outcome(rec, calls[which])
    except ReconcilerError as exc:
        str(exc)  # renders without failing
        return
    if isinstance(result, list):
        assert all(isinstance(item, dict) for item in result)


@pytest.mark.parametrize("bad", ["abc\ndef", "abc\rdef", "ab\x1b]52;c;x\x07", "ab\x00", "tök"])
def test_token_with_control_characters_is_refused_at_start(bad: str) -> None:
    with pytest.raises(UsageError) as info:
        credentials_from_env({"WEBEX_TOKEN": f"{CANARY}{bad}"})
    assert "WEBEX_TOKEN contains" in str(info.value)
    assert CANARY not in str(info.value)
    grant = {
        "WEBEX_CLIENT_ID": "id",
        "WEBEX_CLIENT_SECRET": f"{CANARY}{bad}",
        "WEBEX_REFRESH_TOKEN": "r",
    }
    with pytest.raises(UsageError, match="WEBEX_CLIENT_SECRET contains"):
        credentials_from_env(grant)
    with pytest.raises(UsageError):
        StaticToken(bad)


def test_a_trailing_newline_is_only_trimmed() -> None:
    creds = credentials_from_env({"WEBEX_TOKEN": CANARY + "\n"})
    assert creds is not None
    assert creds.token == CANARY


def test_provider_token_with_a_newline_is_never_sent() -> None:
    class Provider:
        async def token(self) -> str:
            return CANARY + "\nX-Injected: 1"

        async def refresh(self, stale: str) -> bool:
            return False

    rec = answering(lambda: httpx.Response(200, json={"items": []}))

    async def go() -> None:
        async with rec.http() as http:
            await make_client(http, FakeTime(), tokens=Provider()).list_roles()

    with pytest.raises(AuthError) as info:
        run(go())
    assert rec.requests == []
    assert CANARY not in str(info.value)
    assert "control character" in str(info.value)


def test_refresh_grant_answering_a_token_with_a_newline_is_refused() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access_token"):
            return httpx.Response(200, json={"access_token": CANARY + "\n"})
        return httpx.Response(200, json={"items": []})

    rec = Recorder(respond)
    creds = credentials_from_env(
        {"WEBEX_CLIENT_ID": "id", "WEBEX_CLIENT_SECRET": "s", "WEBEX_REFRESH_TOKEN": "r"}
    )
    assert creds is not None

    async def go() -> None:
        async with rec.http() as http:
            grant = RefreshGrant(creds, http=http, api_url=BASE)
            await make_client(http, FakeTime(), tokens=grant).list_roles()

    with pytest.raises(AuthError, match="usable access_token") as info:
        run(go())
    assert CANARY not in str(info.value)
    assert [r.url.path for r in rec.requests] == ["/v1/access_token"]


def test_cli_refuses_a_token_with_a_newline(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    result = CliRunner().invoke(
        cli,
        ["plan", str(tmp_path)],
        env={"WEBEX_TOKEN": f"{CANARY}\nmore", "RECONCILER_SANDBOX": None, "WEBEX_API_URL": None},
    )
    assert result.exit_code == 64, result.output
    assert "WEBEX_TOKEN contains a control character (U+000A)" in result.output
    assert CANARY not in result.output


def test_debug_logging_shows_no_wire_trace(caplog: pytest.LogCaptureFixture) -> None:
    """At DEBUG, with a real connection: nothing from httpcore, no header, no token."""
    caplog.set_level(logging.DEBUG)
    with served(SandboxConfig(full_token=CANARY, read_token="r-" + CANARY)) as url:

        async def go() -> None:
            async with httpx.AsyncClient() as http:
                client = WebexClient(http, base_url=url, tokens=CANARY)
                await client.list_roles()
                with pytest.raises(ApiError):
                    await client.get_customer("missing")

        run(go())
    wire = [r for r in caplog.records if r.name.startswith("httpcore")]
    assert wire == []
    text = caplog.text
    assert CANARY not in text
    assert "authorization" not in text.lower()
    assert "trackingid" not in text.lower()


@pytest.mark.e2e
def test_cli_at_vv_prints_no_header_or_token(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    with served(SandboxConfig(full_token=CANARY, read_token=CANARY + "-read")) as url:
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "-vv", "plan", str(tmp_path), "--api-url", url],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "WEBEX_TOKEN": CANARY + "-read", "RECONCILER_SANDBOX": ""},
        )
    assert "Traceback" not in result.stderr
    assert "DEBUG" in result.stderr  # debug logging was on
    assert "httpcore" not in result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert "authorization" not in result.stderr.lower()
