"""``reconciler doctor [DIR]``: check a tenant before the first plan, read-only.

One line per check on stdout (``ok``, ``warn`` or ``FAIL``, its name, what was found); exit 0
when none failed, 1 when one did (counted on stderr), 64 usage. See
:mod:`reconciler.workflow.doctor` for the checks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

import click

from reconciler.cli.console import runtime
from reconciler.cli.exits import EXIT_ERROR, handle_errors, leave
from reconciler.cli.options import directory_argument, target_options
from reconciler.workflow.connect import Target
from reconciler.workflow.doctor import doctor_directory


@click.command("doctor")
@directory_argument
@target_options
@click.option(
    "--for",
    "need",
    type=click.Choice(["plan", "apply"]),
    default="apply",
    show_default=True,
    help="Whose scopes must be held: plan (a read-only token, as for pull requests; apply's "
    "missing scopes are then warnings) or apply.",
)
@handle_errors
def command(directory: Path, target: Target, need: Literal["plan", "apply"]) -> None:
    """Check the credentials, their scopes, the partner org, each template's provisioningId,
    the countries and the rate-limit headers against Partner Hub, for the estate in DIR
    (default: desired-state). Never writes to Partner Hub."""
    rt = runtime()
    diagnosis = asyncio.run(doctor_directory(directory, target, need=need, seams=rt.seams))
    for check in diagnosis.checks:
        click.echo(str(check))
    failed = len(diagnosis.failed)
    if failed:
        leave(EXIT_ERROR, f"{failed} of {len(diagnosis.checks)} check(s) failed")
