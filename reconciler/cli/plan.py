"""``reconciler plan [DIR]``: read Partner Hub, print what would change, never write.

Exit codes (SPEC §3): 0 success (with ``--detailed-exitcode``: no changes), 1 error, 2 changes
present (``--detailed-exitcode`` only), 3 blocked by a safety rule (unless ``--force``), 64 usage.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import render, workflow
from reconciler.cli import handle_errors
from reconciler.cli.options import directory_argument, scope_options, target_options
from reconciler.errors import ConfigError
from reconciler.target import Target


def is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def use_colour(stream: Any, env: dict[str, str] | os._Environ[str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set to anything."""
    return is_terminal(stream) and not env.get("NO_COLOR")


class StderrProgress:
    """Progress of live reads on stderr: one line rewritten in place on a terminal; in a log,
    a line per tenth of a long phase only (CI logs stay short)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = is_terminal(self.stream)
        self.last_len = 0
        self.lines = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        message = f"reading Partner Hub: {phase} {done}/{total}"
        if self.tty:
            pad = " " * max(0, self.last_len - len(message))
            self.stream.write(f"\r{message}{pad}")
            self.last_len = len(message)
        else:
            self.lines += 1
            if total >= 20 and (done == total or done % max(1, total // 10) == 0):
                self.stream.write(message + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.last_len:
            self.stream.write("\r" + " " * self.last_len + "\r")
            self.stream.flush()


def write_plan(path: Path, text: str) -> None:
    """Write the JSON plan whole or not at all (a half-written plan must never be reviewed)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the plan to {path}: {exc.strerror or exc}") from exc


@click.command("plan")
@directory_argument
@target_options
@scope_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(render.FORMATS),
    default="text",
    show_default=True,
    help="What to print on stdout: text, markdown (a pull-request comment) or json.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also save the JSON plan to FILE (for apply --plan, or as a CI artifact).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none.",
)
@click.option(
    "--precheck",
    is_flag=True,
    help="Run Webex's provisioning prechecks (/validate) for planned customer and user creates.",
)
@click.option(
    "--force",
    is_flag=True,
    help="A blocked plan does not exit 3 (apply --force would execute it).",
)
@handle_errors
def command(
    directory: Path,
    target: Target,
    customer: tuple[str, ...],
    changed_since: str | None,
    fmt: render.Format,
    out: Path | None,
    detailed_exitcode: bool,
    precheck: bool,
    force: bool,
) -> None:
    """Read Partner Hub, compare it with the desired-state DIR (default: desired-state) and
    print the changes that apply would make. Never writes to Partner Hub."""
    progress = StderrProgress()
    try:
        planned = asyncio.run(
            workflow.make_plan(
                directory,
                target,
                scope=frozenset(customer) or None,
                named=customer,
                changed_since=changed_since,
                precheck=precheck,
                progress=progress,
            )
        )
    finally:
        progress.done()
    if planned.scope is not None and not planned.scope:
        click.echo(f"no customer changed since {changed_since}: nothing in scope", err=True)
    plan = planned.plan
    if out is not None:
        write_plan(out, render.as_json(plan))
    colour = fmt == "text" and use_colour(sys.stdout, os.environ)
    click.echo(render.render(plan, fmt, color=colour), nl=False, color=colour)
    code = workflow.plan_exit_code(plan, detailed_exitcode=detailed_exitcode, force=force)
    if plan.is_blocked:
        click.echo(
            f"plan is blocked by {len(plan.blocked)} safety rule(s)"
            + (" (--force: not failing)" if force else "; review it, then use --force"),
            err=True,
        )
    sys.exit(code)
