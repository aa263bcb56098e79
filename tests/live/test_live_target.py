"""Choosing the target from options and environment; the sandbox target end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
import pytest
from admin_client import sandbox_admin, sandbox_stats
from click.testing import CliRunner

from reconciler.api import RefreshGrant, StaticToken
from reconciler.cli import handle_errors
from reconciler.cli.options import scope_options, target_options
from reconciler.errors import ReadOnlyViolation, UsageError
from reconciler.workflow import resolve_scope
from reconciler.workflow.connect import (
    ApiTarget,
    SandboxTarget,
    Target,
    open_client,
    resolve_target,
)

TOKEN = "CANARY-7f3c1e-token-never-printed"


def test_live_no_target_names_both_ways() -> None:
    with pytest.raises(UsageError) as info:
        resolve_target(sandbox=None, api_url=None, env={})
    text = str(info.value)
    for name in ("--sandbox", "RECONCILER_SANDBOX", "WEBEX_TOKEN", "--api-url", "WEBEX_API_URL"):
        assert name in text


def test_live_api_url_without_credentials_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="needs credentials"):
        resolve_target(sandbox=None, api_url="https://webexapis.com/v1", env={})


def test_live_sandbox_and_api_url_together_are_refused() -> None:
    with pytest.raises(UsageError, match="choose one"):
        resolve_target(sandbox="x.sqlite", api_url="https://a.example/v1", env={})


def test_live_token_alone_targets_the_default_api() -> None:
    target = resolve_target(sandbox=None, api_url=None, env={"WEBEX_TOKEN": TOKEN})
    assert isinstance(target, ApiTarget)
    assert target.url == "https://webexapis.com/v1"
    assert TOKEN not in repr(target)
    assert TOKEN not in str(target)


def test_live_plain_http_is_refused_for_remote_hosts() -> None:
    with pytest.raises(UsageError, match="refusing plain http://"):
        resolve_target(sandbox=None, api_url="http://webexapis.com/v1", env={"WEBEX_TOKEN": TOKEN})
    local = resolve_target(
        sandbox=None, api_url="http://127.0.0.1:8080/v1", env={"WEBEX_TOKEN": TOKEN}
    )
    assert isinstance(local, ApiTarget)


@click.command()
@target_options
@scope_options
@handle_errors
def probe(target: Target, customer: tuple[str, ...], changed_since: str | None) -> None:
    click.echo(f"{type(target).__name__} {target} {list(customer)} {changed_since}")


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--sandbox"], {}, "SandboxTarget sandbox .reconciler-sandbox.sqlite [] None"),
        (["--sandbox", "my.sqlite"], {}, "SandboxTarget sandbox my.sqlite [] None"),
        ([], {"RECONCILER_SANDBOX": "env.sqlite"}, "SandboxTarget sandbox env.sqlite [] None"),
        (
            ["--customer", "a", "--customer", "b", "--changed-since", "HEAD~1"],
            {"WEBEX_TOKEN": TOKEN, "WEBEX_API_URL": "https://partner.example/v1"},
            "ApiTarget https://partner.example/v1 ['a', 'b'] HEAD~1",
        ),
    ],
)
def test_live_cli_options_resolve_the_target(
    args: list[str], env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "RECONCILER_SANDBOX",
        "WEBEX_API_URL",
        "WEBEX_TOKEN",
        "WEBEX_CLIENT_ID",
        "WEBEX_CLIENT_SECRET",
        "WEBEX_REFRESH_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(probe, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_live_cli_without_target_exits_64_with_one_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "RECONCILER_SANDBOX",
        "WEBEX_API_URL",
        "WEBEX_TOKEN",
        "WEBEX_CLIENT_ID",
        "WEBEX_CLIENT_SECRET",
        "WEBEX_REFRESH_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(probe, [])
    assert result.exit_code == 64
    assert result.output.startswith("error: no target: use --sandbox [FILE]")
    assert "Traceback" not in result.output


def test_live_resolve_scope_without_options_is_everything(tmp_path: Path) -> None:
    assert resolve_scope(tmp_path, (), None) is None
    assert resolve_scope(tmp_path, ("b", "a", "b"), None) == frozenset({"a", "b"})


def test_live_sandbox_target_registers_templates_and_persists(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite")

    async def go() -> tuple[Any, Any]:
        async with open_client(
            SandboxTarget(db=db), read_only=False, templates={"std": "PROV-1", "big": "PROV-2"}
        ) as client:
            assert isinstance(client.session.tokens, StaticToken)
            await sandbox_admin(client, "POST", "/seed", {"customers": []})
            first = await sandbox_admin(client, "GET", "/templates")
        async with open_client(SandboxTarget(db=db), read_only=True) as reader:
            again = await sandbox_admin(reader, "GET", "/templates")
        return first, again

    first, again = asyncio.run(go())
    assert first == again
    assert "PROV-1" in str(first)
    assert "PROV-2" in str(first)


def test_live_read_only_sandbox_client_refuses_writes_and_sends_nothing() -> None:
    async def go() -> dict[str, Any]:
        async with open_client(SandboxTarget(db=":memory:"), read_only=True) as client:
            with pytest.raises(ReadOnlyViolation):
                await client.create_customer({"externalId": "x"})
            with pytest.raises(ReadOnlyViolation):
                await client.delete_location("L", "O")
            return await sandbox_stats(client)

    assert asyncio.run(go())["total"] == 0


def test_live_api_target_with_grant_uses_the_refresh_grant() -> None:
    env = {
        "WEBEX_CLIENT_ID": "cid",
        "WEBEX_CLIENT_SECRET": TOKEN,
        "WEBEX_REFRESH_TOKEN": TOKEN,
    }
    target = resolve_target(sandbox=None, api_url=None, env=env)

    async def go() -> str:
        async with open_client(target, read_only=True) as client:
            assert client.read_only
            assert isinstance(client.session.tokens, RefreshGrant)
            return repr(client) + repr(client.session.tokens)

    assert TOKEN not in asyncio.run(go())


def test_live_sandbox_value_that_is_a_directory_is_explained(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory") as info:
        resolve_target(sandbox=str(tmp_path), api_url=None, env={})
    assert "--sandbox=FILE" in str(info.value)
