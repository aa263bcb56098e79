"""``reconciler validate [DIR]``: every problem at once, or a one-line summary.

File names and messages come from the pull request (a value, a key, a file name), so every line
goes through :mod:`reconciler.safetext`: problems as log lines, the annotations as escaped
workflow commands, the directory shown without control characters."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.cli.exits import EXIT_ERROR, handle_errors, leave
from reconciler.cli.options import cache_option, directory_argument
from reconciler.desired import Checked, check_directory
from reconciler.desired.cache import check_directory_cached
from reconciler.errors import Problem
from reconciler.safetext import log_line, terminal, terminal_block, workflow_command

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
    return f"{terminal(str(directory))}: valid: {', '.join(parts)} ({files})"


def annotation(problem: Problem) -> str:
    """A GitHub Actions ``::error`` workflow command for one problem, on one line: line breaks
    in its message and file name escaped as the toolkit escapes them (``%0A``; GitHub shows
    them as breaks, and a file name stays the file's), ``%``, ``:`` and ``,`` too, and every
    other control character shown visibly."""
    return workflow_command(
        "error",
        terminal_block(problem.message),
        file=terminal_block(problem.file),
        line=problem.line,
        col=problem.col,
    )


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
        click.echo(log_line(str(problem)))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in checked.problems:
            click.echo(annotation(problem))
    count = len(checked.problems)
    files = len({p.file for p in checked.problems})
    leave(
        EXIT_ERROR,
        f"{count} problem{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}",
    )
