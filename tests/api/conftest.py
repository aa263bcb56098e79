"""Fixtures for the API client tests (helpers live in api_helpers.py)."""

from __future__ import annotations

import pytest
from api_helpers import FakeTime


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
