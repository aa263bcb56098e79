"""Fixtures for the sandbox tests: an in-process sandbox per test, checked against the spec."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sandbox_helpers import Sandbox, make_sandbox


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox with the default settings and one template (``PID-STANDARD``)."""
    box = make_sandbox()
    await box.template()
    yield box
    await box.close()


@pytest.fixture
async def sandbox_factory() -> AsyncIterator[Callable[..., Any]]:
    """Build sandboxes with other settings: ``await sandbox_factory(fail_rate=0.5)``."""
    boxes: list[Sandbox] = []

    async def build(**options: Any) -> Sandbox:
        box = make_sandbox(**options)
        await box.template()
        boxes.append(box)
        return box

    yield build
    for box in boxes:
        await box.close()
