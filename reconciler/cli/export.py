"""``reconciler export``: write live customers as a desired-state directory (SPEC §3).

Reads Partner Hub through a read-only client (never a write), writes one
``customers/<externalId>.yaml`` per customer and a ``templates.yaml`` into ``--out``, prints the
files written on stdout, and on stderr what it could not recover and what a ``plan`` over the
export would still show. Exit codes: 0 written, 1 error (nothing written on a read failure),
64 usage (non-empty ``--out`` without ``--force``, ``--customer`` naming no live customer).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click

from reconciler import export as exporting
from reconciler import export_yaml
from reconciler.cli import handle_errors
from reconciler.cli.options import target_options
from reconciler.cli.plan import StderrProgress
from reconciler.errors import UsageError
from reconciler.target import Target, open_client


async def _read(
    target: Target, customers: tuple[str, ...], template: str, progress: StderrProgress
) -> exporting.Export:
    async with open_client(target, read_only=True) as client:
        live, people, orgs = await exporting.read_estate(
            client, customers=customers or None, progress=progress
        )
    return exporting.build_export(live, people, orgs, template=template)


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
    default=exporting.DEFAULT_TEMPLATE,
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
    if not template.strip():
        raise UsageError("--template needs a name")
    if any(not c.strip() for c in customer):
        raise UsageError("--customer needs an externalId")
    created = export_yaml.prepare(out, force=force)
    progress = StderrProgress()
    try:
        result = asyncio.run(_read(target, customer, template.strip(), progress))
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if still empty: nothing of ours is left behind
        raise
    finally:
        progress.done()

    written = export_yaml.write_documents(out, result.documents)
    for path in written:
        click.echo(str(path))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    others = export_yaml.other_yaml_files(out, written) if force else []
    if others:
        click.echo(
            f"note: {len(others)} YAML file(s) in {out} are not from this export and were left "
            "as they are (validate and plan read them too): "
            + ", ".join(str(p.relative_to(out)) for p in others[:10])
            + (" …" if len(others) > 10 else ""),
            err=True,
        )
    left = exporting.self_check(out, result)
    counts = result.counts
    click.echo(
        f"exported {counts['customers']} customer(s), {counts['locations']} location(s), "
        f"{counts['users']} user(s) to {out}",
        err=True,
    )
    if left:
        click.echo(
            f"before `reconciler plan {out}` shows no changes, fix {len(left)} thing(s):",
            err=True,
        )
        for line in left:
            click.echo(f"  {line}", err=True)
    else:
        click.echo(f"checked: `reconciler plan {out}` shows no changes for them", err=True)
