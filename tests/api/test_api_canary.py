"""A canary token pushed through every failure path never shows up in output, logs, errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import click
import httpx
import pytest
from api_helpers import CANARY, FakeTime, Recorder, make_client, run
from click.testing import CliRunner

from reconciler.api import RefreshGrant, RetryPolicy, WebexClient, credentials_from_env
from reconciler.cli import handle_errors
from reconciler.cli.options import target_options
from reconciler.workflow.connect import Target

GRANT_ENV = {
    "WEBEX_CLIENT_ID": "cid",
    "WEBEX_CLIENT_SECRET": CANARY + "-secret",
    "WEBEX_REFRESH_TOKEN": CANARY + "-refresh",
}


def failing(status: int | None, exc: Exception | None = None) -> Recorder:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/access_token":
            return httpx.Response(200, json={"access_token": CANARY})
        if exc is not None:
            raise exc
        assert status is not None
        return httpx.Response(status, json={"message": "failed", "trackingId": "T"})

    return Recorder(respond)


SCENARIOS: list[tuple[str, Recorder, Callable[[WebexClient], Awaitable[Any]]]] = [
    ("401", failing(401), lambda c: c.list_customers()),
    ("403", failing(403), lambda c: c.list_people("O")),
    ("429-cap", failing(429), lambda c: c.list_roles()),
    ("500-get", failing(500), lambda c: c.get_customer("C")),
    ("500-post", failing(500), lambda c: c.create_customer({"externalId": "x"})),
    (
        "drop-post",
        failing(None, httpx.RemoteProtocolError("gone")),
        lambda c: c.create_customer({}),
    ),
    ("connect", failing(None, httpx.ConnectError("refused")), lambda c: c.list_roles()),
    ("read-only", failing(200), lambda c: c.delete_customer("C")),
]


@pytest.mark.parametrize("grant", [False, True], ids=["static", "refresh-grant"])
@pytest.mark.parametrize(("name", "rec", "call"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_api_canary_token_never_leaks(
    name: str,
    rec: Recorder,
    call: Callable[[WebexClient], Awaitable[Any]],
    grant: bool,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    retry = RetryPolicy(attempts=2, rate_limit_attempts=2, retry_after_cap=1.0)

    async def go() -> BaseException:
        async with rec.http() as http:
            tokens: Any = CANARY
            if grant:
                creds = credentials_from_env(GRANT_ENV)
                assert creds is not None
                tokens = RefreshGrant(creds, http=http, api_url="https://webexapis.com/v1")
            client = make_client(
                http, fake_time, tokens=tokens, retry=retry, read_only=name == "read-only"
            )
            print(repr(client), repr(client.session), repr(client.session.tokens))
            with pytest.raises(Exception) as info:
                await call(client)
            return info.value

    error = run(go())
    seen = [str(error), repr(error), repr(error.__cause__), repr(error.__context__)]
    seen += [r.getMessage() for r in caplog.records]
    seen += list(capsys.readouterr())
    assert caplog.records or name == "read-only"
    for text in seen:
        assert CANARY not in text


def test_api_canary_not_in_cli_error_output(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    @target_options
    @handle_errors
    def command(target: Target) -> None:
        click.echo(f"target: {target!r} {target}")

    runner = CliRunner()
    monkeypatch.setenv("WEBEX_TOKEN", CANARY)
    monkeypatch.delenv("RECONCILER_SANDBOX", raising=False)
    monkeypatch.delenv("WEBEX_API_URL", raising=False)
    refused = runner.invoke(command, ["--api-url", "http://partner.example.com/v1"])
    assert refused.exit_code == 64
    assert "refusing plain http://" in refused.output
    ok = runner.invoke(command, ["--api-url", "https://partner.example.com/v1"])
    assert ok.exit_code == 0, ok.output
    assert "partner.example.com" in ok.output
    for result in (refused, ok):
        assert CANARY not in result.output
