"""The one exit policy: which code every outcome and every error leaves with.

0 success (with ``plan --detailed-exitcode``: no changes), 1 an error (a failed change, a
stale plan, a declined prompt), 2 changes present (``plan --detailed-exitcode`` only), 3
blocked by a safety rule (unless ``--force``), 64 usage, 130 interrupted.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from reconciler import errors
from reconciler.plan import Plan
from reconciler.safetext import log_line

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BLOCKED = 3
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(exc: BaseException) -> int:
    """The one table from error class to exit code."""
    if isinstance(exc, errors.UsageError | click.UsageError):
        return EXIT_USAGE
    if isinstance(exc, errors.PlanBlocked):
        return EXIT_BLOCKED
    return EXIT_ERROR


def plan_exit_code(plan: Plan, *, detailed_exitcode: bool, force: bool) -> int:
    """3 when blocked (unless forced); with ``--detailed-exitcode`` 2 when there are changes
    and 0 when there are none; otherwise 0."""
    if plan.is_blocked and not force:
        return EXIT_BLOCKED
    if detailed_exitcode and not plan.is_empty:
        return EXIT_CHANGES
    return EXIT_OK


def safe_lines(text: str) -> str:
    """``text`` line by line as :func:`reconciler.safetext.log_line` makes it: messages carry
    server and YAML text (names, API messages), which must not move a cursor or act as a
    workflow command in a log."""
    return "\n".join(log_line(line) for line in text.split("\n"))


def fail(exc: BaseException) -> NoReturn:
    """Print one clear message for ``exc`` on stderr and exit with its code."""
    click.echo(safe_lines(f"error: {exc}"), err=True)
    sys.exit(exit_code_for(exc))


def leave(code: int, message: str | None = None) -> NoReturn:
    """Exit with ``code``, after ``message`` on stderr when given (made safe line by line)."""
    if message:
        click.echo(safe_lines(message), err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn the tool's own errors (and interrupts) into one message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except errors.ReconcilerError as exc:
            fail(exc)
        except KeyboardInterrupt:
            leave(EXIT_INTERRUPTED, "interrupted")

    return wrapper  # type: ignore[return-value]
