"""``reconciler validate [DIR]``: every problem at once, or a one-line summary."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.cli.exits import EXIT_ERROR, handle_errors, leave
from reconciler.cli.options import cache_option, directory_argument
from reconciler.desired import Checked, check_directory
from reconciler.desired.cache import check_directory_cached
from reconciler.errors import Problem

_KIND_WORDS = (
    ("Template", "template", "templates"),
    ("Customer", "customer", "customers"),
    ("Location", "location", "locations"),
    ("User", "user", "users"),
    ("Settings", "settings", "settings"),
)


def summary(directory: Path, checked: Checked) -> str:
    """``DIR: valid — 3 templates, 8 customers, … (14 files)``."""
    parts = [
        f"{checked.counts[kind]} {one if checked.counts[kind] == 1 else many}"
        for kind, one, many in _KIND_WORDS
    ]
    files = f"{checked.files} file" + ("" if checked.files == 1 else "s")
    return f"{directory}: valid: {', '.join(parts)} ({files})"


def annotation(problem: Problem) -> str:
    """A GitHub Actions ``::error`` workflow command for one problem."""
    message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    file = problem.file.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    return f"::error file={file},line={problem.line},col={problem.col}::{message}"


@click.command("validate")
@directory_argument
@cache_option
@handle_errors
def command(directory: Path, cache: Path | None) -> None:
    """Check the desired-state DIR (default: desired-state) without touching the network.

    Prints every problem as FILE:LINE:COL: message and exits 1, or a one-line summary and
    exits 0. With GITHUB_ACTIONS=true, also prints ::error annotations for the pull request.
    Every rule runs on every file each time; the cache only spares parsing unchanged files.
    """
    checked = check_directory_cached(directory, cache) if cache else check_directory(directory)
    if not checked.problems:
        click.echo(summary(directory, checked))
        return
    for problem in checked.problems:
        click.echo(str(problem))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in checked.problems:
            click.echo(annotation(problem))
    count = len(checked.problems)
    files = len({p.file for p in checked.problems})
    leave(
        EXIT_ERROR,
        f"{count} problem{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}",
    )
