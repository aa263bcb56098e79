"""``reconciler review scope|find``: the decisions the GitHub workflows ask the tool for.

Both print ``key=value`` lines on stdout, ready to append to ``$GITHUB_OUTPUT``; what they
decided, and why, goes to stderr.

- ``review scope [DIR] --base REF``: what a pull request's plan covers. ``changed=false`` when
  nothing under DIR changed (the plan job then succeeds with "nothing to plan");
  ``args=--changed-since SHA``, or ``args=`` (the whole estate) when a Settings document
  changed. Exit 0, or 1 when git cannot answer.
- ``review find [DIR]``: the reviewed plan of every pull request merged since the
  last-applied marker, downloaded to ``--out-dir``. ``apply=true`` and ``args=`` with the
  ``--changed-since`` and ``--reviewed FILE`` arguments for ``apply``; ``apply=false`` when
  the commit is already applied (exit 0) or when a commit or pull request has no reviewed
  plan (exit 1, each one named on stderr). Reads ``GITHUB_TOKEN``; 64 when it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.api.auth import check_api_url
from reconciler.cli.exits import EXIT_ERROR, handle_errors
from reconciler.cli.options import directory_argument
from reconciler.errors import UsageError
from reconciler.github import API_URL, GitHub
from reconciler.reviewed import MARKER, find_reviewed, plan_scope


@click.group("review")
def command() -> None:
    """What the GitHub workflows ask: the scope of a pull request's plan, and the reviewed
    plans an apply needs."""


@command.command("scope")
@directory_argument
@click.option("--base", required=True, metavar="REF", help="Where the change left its base.")
@click.option("--head", default="HEAD", show_default=True, metavar="REF")
@handle_errors
def scope_command(directory: Path, base: str, head: str) -> None:
    """Print changed= and args= for the plan of the change from --base to --head."""
    decided = plan_scope(directory, base, head)
    if not decided.changed:
        click.echo(f"nothing under {directory} changed since {base}: nothing to plan", err=True)
    elif decided.since is None:
        click.echo("a Settings document changed: the plan covers the whole estate", err=True)
    else:
        click.echo(f"the plan covers the customers changed since {decided.since[:7]}", err=True)
    click.echo(f"changed={'true' if decided.changed else 'false'}")
    click.echo(f"args={'' if decided.since is None else '--changed-since ' + decided.since}")


@command.command("find")
@directory_argument
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".reconciler-reviewed"),
    show_default=True,
    help="Where the reviewed plans are saved (pr-N.json).",
)
@click.option("--head", default="HEAD", show_default=True, metavar="REF", help="Commit to apply.")
@click.option("--marker", default=MARKER, show_default=True, help="The last-applied tag.")
@click.option(
    "--branch",
    envvar="GITHUB_REF_NAME",
    default="main",
    show_default=True,
    help="The branch pull requests merge into (env GITHUB_REF_NAME).",
)
@click.option(
    "--workflow", default="plan.yml", show_default=True, help="The plan workflow's file name."
)
@click.option(
    "--repository",
    envvar="GITHUB_REPOSITORY",
    default=None,
    metavar="OWNER/NAME",
    help="The repository (env GITHUB_REPOSITORY).",
)
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    default=API_URL,
    show_default=True,
    metavar="URL",
    help="GitHub's REST API root (env GITHUB_API_URL).",
)
@handle_errors
def find_command(
    directory: Path,
    out_dir: Path,
    head: str,
    marker: str,
    branch: str,
    workflow: str,
    repository: str | None,
    api_url: str,
) -> None:
    """Print apply=, marker=, args= and pulls= for an apply of --head."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise UsageError("review find needs GITHUB_TOKEN (actions: read, pull-requests: read)")
    if any(c.isspace() for c in str(out_dir)):
        raise UsageError(f"--out-dir {str(out_dir)!r}: the printed args are split on spaces")
    if not repository:
        raise UsageError("review find needs --repository OWNER/NAME (or GITHUB_REPOSITORY)")
    with GitHub(repository, token, api_url=check_api_url(api_url)) as github:
        found = find_reviewed(
            directory,
            github,
            out_dir,
            head=head,
            marker=marker,
            branch=branch,
            workflow=workflow,
        )
    click.echo(found.message, err=True)
    for refusal in found.refusals:
        click.echo(f"  {refusal}", err=True)
    args = ["--changed-since", found.since] if found.apply and found.since else []
    for path in found.files:
        args += ["--reviewed", str(path)]
    click.echo(f"apply={'true' if found.apply else 'false'}")
    click.echo(f"marker={found.marker}")
    click.echo(f"args={' '.join(args)}")
    click.echo(f"pulls={' '.join(str(p.pull) for p in found.plans)}")
    if found.refusals:
        raise SystemExit(EXIT_ERROR)
