"""Fixtures for apply tests: a fast fake clock shared by the sandbox, the client and apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from apply_helpers import FakeClock, fast_limits


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limits(clock: FakeClock) -> Callable[..., Any]:
    return lambda seed=0: fast_limits(clock, seed)
