"""``reconciler export``: write live customers as a desired-state directory.

Reads Partner Hub through a read-only client (never a write), writes one
``customers/<externalId>.yaml`` per customer and a ``templates.yaml`` into ``--out``, prints the
files written on stdout, and on stderr what it could not recover and what a ``plan`` over the
export would still show. Exit codes: 0 written, 1 error (nothing written on a read failure),
64 usage (non-empty ``--out`` without ``--force``, ``--customer`` naming no live customer).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.console import StderrProgress, run_workflow, runtime
from reconciler.cli.exits import handle_errors
from reconciler.cli.options import target_options
from reconciler.export.documents import DEFAULT_TEMPLATE
from reconciler.workflow import Exported, export_directory
from reconciler.workflow.connect import Target


@click.command("export")
@target_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default="desired-state",
    show_default=True,
    metavar="DIR",
    help="Directory to write; must be empty or new unless --force.",
)
@click.option(
    "--customer",
    "customer",
    multiple=True,
    metavar="EXTID",
    help="Only this customer (externalId); repeatable. Default: every customer.",
)
@click.option(
    "--template",
    default=DEFAULT_TEMPLATE,
    show_default=True,
    metavar="NAME",
    help="Template named by every exported customer (Partner Hub does not say which one "
    "created it); declared in templates.yaml without a provisioningId.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty --out (exported files are replaced, others left alone).",
)
@handle_errors
def command(
    target: Target, out: Path, customer: tuple[str, ...], template: str, force: bool
) -> None:
    """Write the customers in Partner Hub (all, or --customer) as YAML in the desired-state
    format, so that `reconciler plan` over the result shows no changes. Never writes to
    Partner Hub."""
    rt = runtime()
    progress = StderrProgress(tty=rt.terminal(sys.stderr))
    try:
        exported = run_workflow(
            export_directory(
                out,
                target,
                customers=customer,
                template=template,
                force=force,
                progress=progress,
                seams=rt.seams,
            )
        )
    finally:
        progress.done()
    report(out, exported)


def report(out: Path, exported: Exported) -> None:
    """The files written on stdout; warnings, other YAML files and the self-check on stderr."""
    for path in exported.written:
        click.echo(str(path))
    for warning in exported.export.warnings:
        click.echo(f"warning: {warning}", err=True)
    others = exported.others
    if others:
        click.echo(
            f"note: {len(others)} YAML file(s) in {out} are not from this export and were left "
            "as they are (validate and plan read them too): "
            + ", ".join(str(p.relative_to(out)) for p in others[:10])
            + (" …" if len(others) > 10 else ""),
            err=True,
        )
    counts = exported.export.counts
    click.echo(
        f"exported {counts['customers']} customer(s), {counts['locations']} location(s), "
        f"{counts['users']} user(s) to {out}",
        err=True,
    )
    if exported.left:
        click.echo(
            f"before `reconciler plan {out}` shows no changes, fix {len(exported.left)} thing(s):",
            err=True,
        )
        for line in exported.left:
            click.echo(f"  {line}", err=True)
    else:
        click.echo(f"checked: `reconciler plan {out}` shows no changes for them", err=True)
