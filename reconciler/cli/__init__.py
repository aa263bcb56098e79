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
from reconciler.cli import apply, doctor, export, plan, review, sandbox, templates, validate
from reconciler.cli.console import Runtime, verbosity
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


def _verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if value:
        verbosity(ctx).verbose += value
        _log_level(ctx)


def _quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        verbosity(ctx).quiet = True
        _log_level(ctx)


def _log_level(ctx: click.Context) -> None:
    """Set the log level as soon as a ``-v`` / ``-q`` is read (before or after the command)."""
    seen = verbosity(ctx)
    if seen.quiet and seen.verbose:
        raise click.UsageError("-v/--verbose and -q/--quiet cannot be used together", ctx=ctx)
    logging.getLogger().setLevel(seen.level)


def verbosity_options(command: click.Command) -> click.Command:
    """Give ``command`` (and, for a group, every command under it) ``-v`` and ``-q``, so they
    are accepted after the command name too: ``reconciler plan -v DIR``."""
    command.params.append(
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_verbose,
            help="More log output on stderr (-vv for debug).",
        )
    )
    command.params.append(
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_quiet,
            help="No progress and only errors in the log on stderr; apply prints the plan's "
            "summary, not the whole plan.",
        )
    )
    for sub in getattr(command, "commands", {}).values():
        verbosity_options(sub)
    return command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Keep Webex Wholesale customers, locations and users in git, and make Partner Hub match."""
    ctx.ensure_object(Runtime)
    logging.basicConfig(
        level=verbosity(ctx).level,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )


for _module in (validate, plan, apply, doctor, export, templates, sandbox, review):
    cli.add_command(_module.command)
verbosity_options(cli)


def main() -> None:
    cli.main(prog_name="reconciler")
