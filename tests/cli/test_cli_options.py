"""The options every command shares: ``-h``, ``-v`` / ``-q`` before or after the command, and
what ``apply -q`` prints."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from apply_helpers import FakeClock, fake_runtime
from cli_helpers import ESTATE, invoke

from reconciler.cli import Runtime, cli


@pytest.fixture(autouse=True)
def root_level() -> Iterator[None]:
    """The log level a command sets is put back after each test."""
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    return copy


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from command_paths(sub, (*path, name))


@pytest.mark.parametrize("path", list(command_paths(cli)), ids=" ".join)
def test_h_is_help_for_every_command(path: tuple[str, ...]) -> None:
    code, out, err = invoke(Runtime(), *path, "-h")
    assert code == 0, err
    assert out.startswith("Usage: ")
    assert "-h, --help" in out
    assert "-q, --quiet" in out


@pytest.mark.parametrize(
    ("args", "level"),
    [
        (["plan", "-v"], logging.INFO),
        (["plan", "-vv"], logging.DEBUG),
        (["-v", "plan", "-v"], logging.DEBUG),
        (["-v", "plan"], logging.INFO),
        (["plan", "-q"], logging.ERROR),
        (["-q", "plan"], logging.ERROR),
        (["plan", "--quiet"], logging.ERROR),
    ],
)
def test_v_and_q_are_accepted_before_and_after_the_command(
    args: list[str], level: int, estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    db = tmp_path / "sandbox.sqlite"
    code, out, err = invoke(fake_runtime(clock), *args, str(estate), "--sandbox", str(db))
    assert code == 0, err
    assert "Plan: " in out
    assert logging.getLogger().level == level


def test_v_and_q_together_are_a_usage_error(estate: Path, clock: FakeClock) -> None:
    code, out, err = invoke(fake_runtime(clock), "-v", "plan", "-q", str(estate), "--sandbox")
    assert code == 64
    assert "cannot be used together" in err
    assert out == ""


def test_apply_quiet_prints_the_summary_not_the_whole_plan(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    rt = fake_runtime(clock)
    loud_db, quiet_db = tmp_path / "loud.sqlite", tmp_path / "quiet.sqlite"
    code, loud, loud_err = invoke(rt, "apply", str(estate), "--sandbox", str(loud_db), "--yes")
    assert code == 0, loud_err
    code, out, err = invoke(rt, "apply", "-q", str(estate), "--sandbox", str(quiet_db), "--yes")
    assert code == 0, err
    summary = next(line for line in loud.splitlines() if line.startswith("Plan: "))
    checksum = next(line for line in loud.splitlines() if line.startswith("Checksum: "))
    assert out.splitlines()[:2] == [summary, checksum]
    assert "+ customer/" in loud
    assert "+ customer/" not in out
    # the outcome table stays; the per-change progress lines on stderr go
    assert "total" in out
    assert "[1/" in loud_err
    assert err == ""
