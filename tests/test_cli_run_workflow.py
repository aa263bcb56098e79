"""``run_workflow``: the one way a command runs its workflow coroutine, never formatting the
result (Python 3.11's runner formats its main task's repr on the way out)."""

from __future__ import annotations

import ast
import asyncio
import signal
import sys
from pathlib import Path

import pytest

from reconciler.cli.console import run_workflow

CLI = Path(__file__).resolve().parent.parent / "reconciler" / "cli"


class Counted:
    """A result that counts how often it is formatted (a whole plan's repr costs seconds and
    hundreds of MiB; the runner swallows errors of a repr, so a count is what shows it)."""

    def __init__(self) -> None:
        self.formatted = 0

    def __repr__(self) -> str:
        self.formatted += 1
        return "Counted()"


async def produce() -> Counted:
    await asyncio.sleep(0)
    return Counted()


def test_the_result_comes_back_without_being_formatted() -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = run_workflow(produce())
    finally:
        signal.signal(signal.SIGINT, previous)
    assert isinstance(result, Counted)
    assert result.formatted == 0


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13's runner no longer formats it")
def test_plain_asyncio_run_formats_the_result() -> None:
    # the cost run_workflow avoids (measured on 3.11 and 3.12); the runner installs its own
    # SIGINT handler, the one it formats, only over Python's default one
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert asyncio.run(produce()).formatted > 0
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_error_of_the_workflow_propagates() -> None:
    async def fail() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        run_workflow(fail())


def test_only_run_workflow_calls_asyncio_run() -> None:
    callers = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "asyncio"
            ):
                callers.append(path.name)
    assert callers == ["console.py"]
