"""``benchmarks/run.py`` end to end at a tiny size: every phase runs and reports every figure
(the timings themselves are the benchmark's business, not the suite's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PHASES = (
    "validate",
    "plan",
    "plan_customer",
    "plan_changed_since",
    "plan_changed_since_validated",
    "apply_drift",
    "apply_cold",
)
FIELDS = ("seconds", "requests", "min_requests", "floor_seconds", "cpu_seconds", "peak_rss_mb")


@pytest.mark.e2e
def test_a_tiny_run_reports_every_figure_of_every_phase() -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "run.py"), "--json",
        "--customers", "3", "--locations-per-customer", "2", "--users", "30", "--drift", "0.1",
        "--latency-ms", "1", "--rate-limit", "500", "--provision-seconds", "0",
        "--concurrency", "4", "--new-customers", "1",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert list(result["phases"]) == list(PHASES)
    for name, figures in result["phases"].items():
        for field in FIELDS:
            assert isinstance(figures[field], int | float), (name, field)
        assert figures["exit_code"] in (0, 2), name
        assert figures["requests"] >= figures["min_requests"], name  # min is a lower bound
    assert result["phases"]["validate"]["requests"] == 0
    drifted = result["estate"]["drifted_users"] + result["estate"]["drifted_locations"]
    assert result["phases"]["plan"]["changes"] == drifted
    assert result["estate"]["drifted_users"] == 3
    # the two edited users, and the drift of their customers
    assert 2 <= result["phases"]["plan_changed_since"]["changes"] <= 2 + 3
    validated = result["phases"]["plan_changed_since_validated"]
    assert validated["changes"] == result["phases"]["plan_changed_since"]["changes"]
    assert len(result["load_average"]) == 3


def test_bad_options_are_one_message_and_exit_2() -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--new-customers", "11"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "--new-customers must be between 1 and 10" in done.stderr
    assert "Traceback" not in done.stderr
