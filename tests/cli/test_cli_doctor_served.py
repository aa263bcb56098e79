"""``reconciler doctor`` as a user runs it: a child process, a served sandbox in which the
templates were created, the refresh grant: every check passes."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from cli_helpers import ESTATE
from served import serve_command

from reconciler.desired import load_desired

pytestmark = pytest.mark.e2e

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("WEBEX_", "RECONCILER_"))},
    "WEBEX_CLIENT_ID": "sandbox-client",
    "WEBEX_CLIENT_SECRET": "sandbox-secret",
    "WEBEX_REFRESH_TOKEN": "sandbox-refresh",
    "NO_COLOR": "1",
}


def doctor(origin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "doctor", str(ESTATE), "--api-url", f"{origin}/v1"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_doctor_over_a_served_sandbox_with_the_refresh_grant() -> None:
    with serve_command() as (origin, _):
        desired = load_desired(ESTATE)
        for name, template in desired.templates.items():
            body = {"name": name, "provisioningId": template.provisioning_id}
            httpx.post(f"{origin}/_sandbox/templates", json=body).raise_for_status()
        after = doctor(origin)
    assert after.returncode == 0, after.stdout + after.stderr
    statuses = {line.split()[0] for line in after.stdout.splitlines()}
    assert statuses == {"ok"}
    assert "scopes for apply: all 13 held (listed in the refresh grant's answer)" in after.stdout
    assert "sandbox-secret" not in after.stdout + after.stderr
