"""The sandbox admin API from the tests' side: dump, stats and their reset (importable as
``admin_client`` from every test folder). The product calls the admin API only to register
templates, as an operator creates them in Partner Hub."""

from __future__ import annotations

from typing import Any

from reconciler.api import WebexClient
from reconciler.errors import ApiError
from reconciler.workflow.connect import SANDBOX_ORIGIN


async def sandbox_admin(client: WebexClient, method: str, path: str, body: Any = None) -> Any:
    """Call the sandbox admin API (``/_sandbox{path}``) through a sandbox target's client."""
    response = await client.http.request(method, f"{SANDBOX_ORIGIN}/_sandbox{path}", json=body)
    if response.status_code >= 400:
        raise ApiError(
            response.status_code,
            f"sandbox admin call failed: {response.text[:200]}",
            method,
            f"/_sandbox{path}",
        )
    return response.json() if response.content else None


async def sandbox_stats(client: WebexClient) -> dict[str, Any]:
    """``GET /_sandbox/stats``: ``{"total", "byRoute", "byStatus"}`` (admin calls not counted)."""
    stats = await sandbox_admin(client, "GET", "/stats")
    assert isinstance(stats, dict)
    return stats


async def reset_sandbox_stats(client: WebexClient) -> None:
    await sandbox_admin(client, "POST", "/stats/reset")
