"""``reconciler plan [DIR]``: read Partner Hub, print what would change, never write.

Exit codes (:mod:`reconciler.cli.exits`): 0 success (with ``--detailed-exitcode``: no changes),
1 error, 2 changes present (``--detailed-exitcode`` only), 3 blocked by a safety rule (unless
``--force``), 64 usage.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from reconciler import render
from reconciler.cli.console import StderrProgress, for_log, run_workflow, runtime
from reconciler.cli.exits import handle_errors, leave, plan_exit_code
from reconciler.cli.options import (
    cache_option,
    directory_argument,
    scope_options,
    target_options,
)
from reconciler.errors import ConfigError
from reconciler.plan import Plan
from reconciler.workflow import Selection, make_plan
from reconciler.workflow.connect import Target


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
@cache_option
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
    help="Run Webex's prechecks: provisioning (/validate) for planned customer and user "
    "creates, the safe-delete check (precheckForDeletion) for planned calling disables.",
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
    cache: Path | None,
    fmt: render.Format,
    out: Path | None,
    detailed_exitcode: bool,
    precheck: bool,
    force: bool,
) -> None:
    """Read Partner Hub, compare it with the desired-state DIR (default: desired-state) and
    print the changes that apply would make. Never writes to Partner Hub."""
    rt = runtime()
    progress = StderrProgress(tty=rt.terminal(sys.stderr))
    try:
        planned = run_workflow(
            make_plan(
                directory,
                target,
                Selection(customer, changed_since),
                precheck=precheck,
                progress=progress,
                seams=replace(rt.seams, cache=cache),
            )
        )
    finally:
        progress.done()
    if planned.scope is not None and not planned.scope:
        click.echo(f"no customer changed since {changed_since}: nothing in scope", err=True)
    if out is not None:
        write_plan(out, render.as_json(planned.plan))
    colour = fmt == "text" and rt.colour(os.environ)
    rendered = render.render(planned.plan, fmt, color=colour)
    # In an Actions log, the text and JSON plans are wrapped so that no line acts as a
    # workflow command. Markdown is a document (the comment, the job summary) the wrapper would
    # corrupt, and its renderer escapes ':' and '#' in every value: none of its lines can.
    if fmt != "markdown":
        rendered = for_log(rendered, os.environ)
    click.echo(rendered, nl=False, color=colour)
    code = plan_exit_code(planned.plan, detailed_exitcode=detailed_exitcode, force=force)
    leave(code, blocked_message(planned.plan, force))


def blocked_message(plan: Plan, force: bool) -> str | None:
    if not plan.is_blocked:
        return None
    return f"plan is blocked by {len(plan.blocked)} safety rule(s)" + (
        " (--force: not failing)" if force else "; review it, then use --force"
    )
