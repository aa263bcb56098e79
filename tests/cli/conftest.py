"""CLI behaviour tests: the apply helpers (fake clock, fake runtime) are importable here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

APPLY = str(Path(__file__).resolve().parent.parent / "apply")
if APPLY not in sys.path:
    sys.path.insert(0, APPLY)

from apply_helpers import FakeClock  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
