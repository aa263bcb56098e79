"""Command line: the only layer that prints, reads the environment, or calls ``asyncio.run``.

Each command lives in its own module and stays thin: build collaborators, call one workflow
function, render, pick an exit code. Errors are mapped to exit codes here, in one table.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from reconciler import __version__, errors

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BLOCKED = 3
EXIT_USAGE = 64

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("reconciler")


def exit_code_for(exc: BaseException) -> int:
    """The one table from error class to exit code."""
    if isinstance(exc, errors.UsageError | click.UsageError):
        return EXIT_USAGE
    if isinstance(exc, errors.PlanBlocked):
        return EXIT_BLOCKED
    return EXIT_ERROR


def fail(exc: BaseException) -> NoReturn:
    """Print one clear message for ``exc`` on stderr and exit with its code."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(exit_code_for(exc))


def handle_errors(func: F) -> F:
    """Turn the tool's own errors (and interrupts) into one message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except errors.ReconcilerError as exc:
            fail(exc)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


class _Group(click.Group):
    """Usage errors exit 64 (not click's 2, which means "changes present" for ``plan``)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("standalone_mode", True)
        try:
            return super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(EXIT_ERROR)
        except click.UsageError as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="reconciler")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Keep Webex Wholesale customers, locations and users in git, and make Partner Hub match."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


# Each command module defines ``command`` (a click command or group) and imports the helpers
# above, so they are imported once those exist.
from reconciler.cli import apply, export, plan, review, sandbox, templates, validate  # noqa: E402

for _module in (validate, plan, apply, export, templates, sandbox, review):
    cli.add_command(_module.command)


def main() -> None:
    cli.main(prog_name="reconciler")
