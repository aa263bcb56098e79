"""Fixtures for export tests: the example estate applied once per module, and the request
counts of each command's sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import click
import export_helpers
import pytest
from admin_client import reset_sandbox_stats, sandbox_stats
from export_helpers import ESTATE, run_cli

from reconciler.cli import Runtime
from reconciler.workflow import Seams
from reconciler.workflow.connect import Target, open_client


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox file holding the example estate, applied through the CLI (once per module;
    tests only read it)."""
    db = tmp_path_factory.mktemp("applied") / "sandbox.sqlite"
    providers = str(ESTATE.parent / "sandbox-providers.yaml")  # the example's PSTN provider
    code, out, err = run_cli(
        "apply", str(ESTATE), "--sandbox", str(db), "--sandbox-providers", providers, "--yes"
    )
    assert code == 0, out + err
    return db


@pytest.fixture
def export_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Each export's client options and the sandbox stats of its requests, as
    ``[{"options": {...}, "stats": {...}}]`` (the in-process sandbox counts per client)."""
    seen: list[dict[str, Any]] = []
    real: Callable[..., Any] = open_client

    @asynccontextmanager
    async def counted(target: Target, **options: Any) -> AsyncIterator[Any]:
        if click.get_current_context().info_name != "export":
            async with real(target, **options) as client:
                yield client
            return
        async with real(target, **options) as client:
            await reset_sandbox_stats(client)
            yield client
            seen.append({"options": options, "stats": await sandbox_stats(client)})

    monkeypatch.setattr(export_helpers, "RUNTIME", Runtime(seams=Seams(connect=counted)))
    return seen
