"""``reconciler doctor``: passes against the sandbox, never writes, and each check fails on
its own cause with one line, exit 1."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from apply_helpers import FakeClock, fake_runtime, fast_limits
from cli_helpers import ESTATE, invoke, over_sandbox

from reconciler.api import Limiter, RetryPolicy, WebexClient
from reconciler.cli import Runtime
from reconciler.desired import load_desired
from reconciler.workflow import Seams
from reconciler.workflow.connect import Target
from reconciler.workflow.doctor import countries_of

GRANT = {"WEBEX_CLIENT_ID": "sandbox-client", "WEBEX_CLIENT_SECRET": "sandbox-secret"}
API = ["--api-url", "http://127.0.0.1:8700/v1"]


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    return copy


class Tamper(httpx.AsyncBaseTransport):
    """Answers ``refuse`` (path → status) itself with Webex's error body, adds ``headers`` to
    every answer, and notes every request."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        refuse: dict[str, int],
        headers: dict[str, str],
        seen: list[str],
    ) -> None:
        self.inner, self.refuse, self.headers, self.seen = inner, refuse, headers, seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        status = self.refuse.get(request.url.path)
        if status is not None:
            body = {"message": f"refused by the test ({status})", "errors": [], "trackingId": "T"}
            return httpx.Response(status, json=body, headers=self.headers)
        response = await self.inner.handle_async_request(request)
        response.headers.update(self.headers)
        return response


def tampered(
    rt: Runtime,
    *,
    refuse: dict[str, int] | None = None,
    headers: dict[str, str] | None = None,
    seen: list[str] | None = None,
    templates: bool = True,
) -> Runtime:
    """``rt`` with every request going through :class:`Tamper`; ``templates=False``: the
    sandbox is not told the YAML's templates (their provisioningIds are unknown to it)."""
    base = rt.seams.connect

    def connect(target: Target, **options: Any) -> AbstractAsyncContextManager[WebexClient]:
        wrap: Callable[[Any], Any] | None = options.get("wrap_transport")

        def wrapped(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
            mine = Tamper(inner, refuse or {}, headers or {}, [] if seen is None else seen)
            return wrap(mine) if wrap else mine

        if not templates:
            options = {**options, "templates": {}}
        return base(target, **{**options, "wrap_transport": wrapped})

    return replace(rt, seams=replace(rt.seams, connect=connect))


def api_runtime(db: Path) -> Runtime:
    """A Partner Hub target answered by an in-process sandbox on ``db``, without a rate."""
    return Runtime(
        seams=Seams(connect=over_sandbox(db), limiter=lambda: Limiter(rate=None, concurrency=8))
    )


def lines_of(out: str) -> dict[str, tuple[str, str]]:
    """check name → (status, detail)."""
    found: dict[str, tuple[str, str]] = {}
    for line in out.splitlines():
        status, _, rest = line.partition("  ")
        name, _, detail = rest.strip().partition(": ")
        found[name] = (status.strip(), detail)
    return found


def test_doctor_passes_against_the_sandbox_and_never_writes(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    seen: list[str] = []
    rt = tampered(fake_runtime(clock), seen=seen)
    code, out, err = invoke(rt, "doctor", str(estate), "--sandbox", str(tmp_path / "s.sqlite"))
    assert code == 0, out + err
    assert err == ""
    checks = lines_of(out)
    desired = load_desired(estate)
    expected = {"credentials", "scopes for plan", "scopes for apply", "partner org", "rate limits"}
    expected |= {f"template {name}" for name in desired.templates}
    expected |= {f"country {code}" for code in countries_of(desired)}
    assert set(checks) == expected
    assert {status for status, _ in checks.values()} <= {"ok", "warn"}
    assert checks["partner org"][1].startswith("Sandbox Partner (")
    assert all(checks[f"template {n}"][0] == "ok" for n in desired.templates)
    # the sandbox's read-only token cannot show write scopes: a warning, naming them
    status, detail = checks["scopes for apply"]
    assert status == "warn"
    assert "spark-admin:people_write" in detail
    writes = [s for s in seen if not s.startswith("GET ")]
    assert writes
    assert set(writes) <= {"POST /v1/wholesale/customers/validate", "POST /_sandbox/templates"}


def test_doctor_lists_the_scopes_of_the_refresh_grant(estate: Path, tmp_path: Path) -> None:
    # a Partner Hub target: no template of the YAML is registered, as none was created
    rt = api_runtime(tmp_path / "s.sqlite")
    env = {**GRANT, "WEBEX_REFRESH_TOKEN": "sandbox-refresh"}
    code, out, _ = invoke(rt, "doctor", str(estate), *API, env=env)
    checks = lines_of(out)
    assert checks["credentials"][0] == "ok"
    assert "refresh grant" in checks["credentials"][1]
    assert checks["scopes for plan"] == ("ok", "all 7 held (listed in the refresh grant's answer)")
    assert checks["scopes for apply"] == (
        "ok",
        "all 13 held (listed in the refresh grant's answer)",
    )
    # Partner Hub has none of the YAML's templates here: each one fails, nothing else does
    failed = {name for name, (status, _) in checks.items() if status == "FAIL"}
    assert failed == {f"template {n}" for n in load_desired(estate).templates}
    assert code == 1


def test_a_read_only_refresh_grant_fails_apply_unless_doctor_is_for_plan(
    estate: Path, tmp_path: Path
) -> None:
    rt = api_runtime(tmp_path / "s.sqlite")
    env = {**GRANT, "WEBEX_REFRESH_TOKEN": "sandbox-read-refresh"}
    code, out, err = invoke(rt, "doctor", str(estate), *API, env=env)
    checks = lines_of(out)
    status, detail = checks["scopes for apply"]
    assert status == "FAIL"
    assert detail.startswith("missing spark-admin:wholesale_customers_write (provision, update")
    assert "identity:organizations_rw (rename customers)" in detail
    assert checks["scopes for plan"][0] == "ok"
    assert code == 1
    assert "check(s) failed" in err
    code, out, _ = invoke(rt, "doctor", str(estate), *API, "--for", "plan", env=env)
    assert lines_of(out)["scopes for apply"][0] == "warn"


class Unscoped(httpx.AsyncBaseTransport):
    """Takes ``scope`` out of the token answer's ``scope`` list."""

    def __init__(self, inner: httpx.AsyncBaseTransport, scope: str) -> None:
        self.inner, self.scope = inner, scope

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/access_token"):
            return response
        await response.aread()
        body = response.json()
        body["scope"] = " ".join(s for s in body["scope"].split() if s != self.scope)
        return httpx.Response(response.status_code, json=body)


def test_doctor_warns_of_an_optional_scope_the_grant_lacks(estate: Path, tmp_path: Path) -> None:
    rt = api_runtime(tmp_path / "s.sqlite")
    env = {**GRANT, "WEBEX_REFRESH_TOKEN": "sandbox-refresh"}
    _, out, _ = invoke(rt, "doctor", str(estate), *API, env=env)
    assert lines_of(out)["optional scopes"] == ("ok", "all 1 held")
    base = rt.seams.connect

    def connect(target: Target, **options: Any) -> AbstractAsyncContextManager[WebexClient]:
        wrap: Callable[[Any], Any] | None = options.get("wrap_transport")

        def wrapped(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
            mine = Unscoped(inner, "spark-admin:telephony_pstn_read")
            return wrap(mine) if wrap else mine

        return base(target, **{**options, "wrap_transport": wrapped})

    rt = replace(rt, seams=replace(rt.seams, connect=connect))
    _, out, _ = invoke(rt, "doctor", str(estate), *API, env=env)
    status, detail = lines_of(out)["optional scopes"]
    assert status == "warn"
    assert detail.startswith("missing spark-admin:telephony_pstn_read (read a calling location")
    assert lines_of(out)["scopes for plan"][0] == "ok"


def test_apply_with_a_grant_lacking_write_scopes_stops_before_any_write(
    estate: Path, tmp_path: Path
) -> None:
    seen: list[str] = []
    rt = tampered(api_runtime(tmp_path / "s.sqlite"), seen=seen)
    env = {**GRANT, "WEBEX_REFRESH_TOKEN": "sandbox-read-refresh"}
    code, out, err = invoke(rt, "apply", str(estate), *API, "--yes", env=env)
    assert code == 1, (out, err)
    assert "the access token lacks scope(s) this plan writes with; nothing was applied" in err
    assert (
        "  - spark-admin:wholesale_customers_write (provision, update and remove customers), "
        "first needed by customer/" in err
    )
    assert "spark-admin:locations_write" in err
    assert "spark-admin:telephony_config_write" in err
    assert "identity:organizations_rw" not in err  # no rename in this plan
    assert "Traceback" not in err
    writes = [r for r in seen if not r.startswith("GET ") and "/access_token" not in r]
    assert writes == []
    # the full grant applies the same estate past that check
    code, out, err = invoke(
        rt,
        "apply",
        str(estate),
        *API,
        "--yes",
        env={**env, "WEBEX_REFRESH_TOKEN": "sandbox-refresh"},
    )
    assert "lacks scope" not in err
    assert any(r.startswith("POST /v1/wholesale/customers") for r in seen)


@pytest.mark.parametrize(
    "env",
    [
        {"WEBEX_TOKEN": "not-a-token"},
        {**GRANT, "WEBEX_CLIENT_SECRET": "wrong", "WEBEX_REFRESH_TOKEN": "sandbox-refresh"},
    ],
    ids=["token", "refresh grant"],
)
def test_refused_credentials_fail_and_stop_there(
    env: dict[str, str], estate: Path, tmp_path: Path
) -> None:
    rt = api_runtime(tmp_path / "s.sqlite")
    code, out, err = invoke(rt, "doctor", str(estate), *API, env=env)
    assert code == 1
    checks = lines_of(out)
    assert set(checks) == {"credentials", "rate limits"}
    assert checks["credentials"][0] == "FAIL"
    assert "HTTP 401" in checks["credentials"][1]
    assert "not-a-token" not in out + err
    assert "wrong" not in out + err


def test_a_missing_read_scope_is_named(estate: Path, tmp_path: Path, clock: FakeClock) -> None:
    rt = tampered(fake_runtime(clock), refuse={"/v1/organizations": 403})
    code, out, _ = invoke(rt, "doctor", str(estate), "--sandbox", str(tmp_path / "s.sqlite"))
    checks = lines_of(out)
    assert checks["scopes for plan"] == (
        "FAIL",
        "missing spark-admin:organizations_read (read customer names)",
    )
    assert checks["partner org"][0] == "FAIL"
    assert code == 1


def test_a_refused_provisioning_id_fails_its_template(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    rt = tampered(fake_runtime(clock), templates=False)
    code, out, _ = invoke(rt, "doctor", str(estate), "--sandbox", str(tmp_path / "s.sqlite"))
    checks = lines_of(out)
    name = sorted(load_desired(estate).templates)[0]
    status, detail = checks[f"template {name}"]
    assert status == "FAIL"
    assert "refused" in detail
    assert "Unknown provisioningId" in detail
    assert code == 1


def test_a_country_without_a_calling_configuration_fails(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    path = "/v1/telephony/config/countries/DE"
    rt = tampered(fake_runtime(clock), refuse={path: 404})
    code, out, _ = invoke(rt, "doctor", str(estate), "--sandbox", str(tmp_path / "s.sqlite"))
    checks = lines_of(out)
    assert checks["country DE"][0] == "FAIL"
    assert "HTTP 404" in checks["country DE"][1]
    assert checks["country FR"][0] == "ok"
    assert code == 1


def test_rate_limit_headers_are_shown(estate: Path, tmp_path: Path, clock: FakeClock) -> None:
    headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "287"}
    rt = tampered(fake_runtime(clock), headers=headers)
    code, out, _ = invoke(rt, "doctor", str(estate), "--sandbox", str(tmp_path / "s.sqlite"))
    assert code == 0
    status, detail = lines_of(out)["rate limits"]
    assert status == "ok"
    assert detail.startswith("x-ratelimit-limit: 300, x-ratelimit-remaining: 287 (last values")


def test_a_server_error_is_not_taken_for_a_held_scope(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    rt = tampered(fake_runtime(clock), refuse={"/v1/roles": 503})
    fast = replace(rt.seams, limiter=lambda: fast_limits(clock)[0], retry=RetryPolicy(attempts=2))
    code, out, err = invoke(
        replace(rt, seams=fast), "doctor", str(estate), "--sandbox", str(tmp_path / "s.sqlite")
    )
    assert code == 1
    assert out == ""
    assert err.strip().splitlines() == [
        "error: GET /roles: HTTP 503: refused by the test (503); after 2 attempt(s) trackingId=T"
    ]
