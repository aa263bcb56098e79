"""Command line: the only layer that prints, reads the environment, or calls ``asyncio.run``.

Each command lives in its own module and stays thin: parse options, call one workflow
function, render, exit (``exits`` holds the one exit policy, ``console`` what the commands
share on the terminal and the ``Runtime`` they run in, ``options`` the shared options).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from reconciler import __version__
from reconciler.cli import apply, export, plan, review, sandbox, templates, validate
from reconciler.cli.console import Runtime
from reconciler.cli.exits import EXIT_ERROR, EXIT_USAGE, handle_errors

__all__ = ["Runtime", "cli", "handle_errors", "main"]


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
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Keep Webex Wholesale customers, locations and users in git, and make Partner Hub match."""
    ctx.ensure_object(Runtime)
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


for _module in (validate, plan, apply, export, templates, sandbox, review):
    cli.add_command(_module.command)


def main() -> None:
    cli.main(prog_name="reconciler")
