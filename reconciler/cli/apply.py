"""``reconciler apply [DIR]``: re-plan against live Partner Hub and execute the plan.

Exit codes (:mod:`reconciler.cli.exits`): 0 every change done (or nothing to do); 1 a change
failed, the fresh plan is not the reviewed one (``--checksum`` / ``--plan``), the prompt was
declined, or any error; 3 blocked by a safety rule (unless ``--force``); 64 usage (e.g. no
terminal and no ``--yes``); 130 interrupted (what had finished is said, and that a re-run
continues).
The plan goes to stdout before anything is written, then the done / failed / skipped table;
progress goes to stderr (a bar on a terminal, one line per finished change otherwise).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import click

from reconciler import render
from reconciler.apply import STATUSES, ApplyResult, ChangeResult
from reconciler.cli.console import Runtime, StderrProgress, is_terminal, quiet, runtime
from reconciler.cli.exits import EXIT_ERROR, EXIT_INTERRUPTED, handle_errors, leave
from reconciler.cli.options import directory_argument, scope_options, target_options
from reconciler.errors import ApplyFailed, ConfigError, UsageError
from reconciler.journal import Journal
from reconciler.plan import KINDS, Plan
from reconciler.workflow import ApplyRun, Confirm, Review, Selection, apply_directory
from reconciler.workflow.connect import Target

BAR_WIDTH = 30


class ApplyProgress:
    """Reporter for ``apply_plan``: a bar rewritten in place on a terminal; otherwise one line
    per finished change (for CI logs)."""

    def __init__(
        self, stream: TextIO | None = None, *, tty: bool | None = None, silent: bool = False
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = is_terminal(self.stream) if tty is None else tty
        #: counts without printing (``-q``)
        self.silent = silent
        self.counts: Counter[str] = Counter()
        self.width = 0
        #: changes of the plan being executed; None until it is confirmed (nothing written)
        self.planned: int | None = None

    def start(self, plan: Plan) -> None:
        """``plan`` is confirmed: from now on writes are being made."""
        self.planned = len(plan.changes)

    def __call__(self, result: ChangeResult, finished: int, total: int) -> None:
        self.counts[result.status] += 1
        if self.silent:
            return
        if self.tty:
            filled = BAR_WIDTH * finished // max(total, 1)
            line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {finished}/{total}  " + "  ".join(
                f"{s} {self.counts[s]}" for s in STATUSES
            )
            self.stream.write("\r" + line.ljust(self.width))
            self.width = max(self.width, len(line))
        else:
            message = f" ({result.message})" if result.message else ""
            self.stream.write(
                f"[{finished}/{total}] {result.status:<7} {result.action} {result.address}"
                f"{message}\n"
            )
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


def result_table(result: ApplyResult) -> str:
    """The done / failed / skipped counts per kind, then each failure and each skip."""
    counts = Counter((r.kind, r.status) for r in result.results)
    header = f"{'':<10}" + "".join(f"{s:>9}" for s in STATUSES)
    rows = [header]
    for kind in KINDS:
        rows.append(f"{kind:<10}" + "".join(f"{counts[(kind, s)]:>9}" for s in STATUSES))
    rows.append(f"{'total':<10}" + "".join(f"{len(result.with_status(s)):>9}" for s in STATUSES))
    for status in ("failed", "skipped"):
        items = result.with_status(status)
        if items:
            rows.append("")
            rows.append(f"{status.capitalize()}:")
            rows.extend(f"  {r.action} {r.address}: {r.message}" for r in items)
    return "\n".join(rows) + "\n"


def open_journal(path: Path) -> Journal:
    """The journal at ``path``, opened for appending before anything is read or written."""
    try:
        return Journal(path)
    except OSError as exc:
        why = (
            f"folder {path.parent} does not exist"
            if not path.parent.is_dir()
            else exc.strerror or str(exc)
        )
        raise UsageError(f"--journal {path}: cannot open it: {why}") from None


def read_reviewed_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the plan {path}: {exc.strerror or exc}") from exc
    return Plan.from_json(text)


@click.command("apply")
@directory_argument
@target_options
@scope_options
@click.option(
    "--checksum",
    default=None,
    metavar="SHA",
    help="Refuse (exit 1, nothing written) unless the fresh plan has this checksum.",
)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="The reviewed JSON plan (plan --out): refuse, saying what differs, unless the fresh "
    "plan is the same. Its scope is used when no --customer/--changed-since is given.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask; required without a terminal.")
@click.option("--force", is_flag=True, help="Apply a plan that a safety rule blocks.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Append one JSON line per API write to FILE.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Changes in progress at once (default 4 x Settings concurrency; requests in flight "
    "stay capped at Settings concurrency).",
)
@handle_errors
def command(
    directory: Path,
    target: Target,
    customer: tuple[str, ...],
    changed_since: str | None,
    checksum: str | None,
    plan_file: Path | None,
    yes: bool,
    force: bool,
    journal: Path | None,
    concurrency: int | None,
) -> None:
    """Re-plan DIR (default: desired-state) against Partner Hub and make the changes: in
    dependency order, concurrently, waiting for provisioning. Safe to re-run after any
    interruption: it picks up from what is live."""
    rt = runtime()
    if not yes and not rt.interactive():
        raise UsageError("apply needs --yes when it is not run from a terminal")
    review = Review(checksum, read_reviewed_plan(plan_file) if plan_file else None, force)
    progress = ApplyProgress(tty=rt.terminal(sys.stderr), silent=quiet())
    reading = StderrProgress(tty=rt.terminal(sys.stderr))
    sink = open_journal(journal) if journal is not None else None
    stopped: str | None = None
    try:
        run = asyncio.run(
            apply_directory(
                directory,
                target,
                Selection(customer, changed_since),
                review=review,
                confirm=confirmer(rt, yes=yes, confirmed=progress.start),
                concurrency=concurrency,
                journal=sink,
                reporter=progress,
                progress=reading,
                seams=rt.seams,
            )
        )
    except (KeyboardInterrupt, asyncio.CancelledError):
        stopped = interrupted(progress)
    finally:
        reading.done()
        progress.done()
        if sink is not None:
            sink.close()
    if stopped is not None:
        leave(EXIT_INTERRUPTED, stopped)
    report(run)


def interrupted(progress: ApplyProgress) -> str:
    """What an interrupted apply had done, and that re-running it continues."""
    if progress.planned is None:
        return "interrupted before anything was written; nothing was changed"
    counts = progress.counts
    finished = sum(counts.values())
    return (
        f"interrupted after {finished} of {progress.planned} change(s) finished "
        f"({counts['done']} done, {counts['failed']} failed, {counts['skipped']} skipped); a "
        "change still in progress may be half made: re-run apply to continue (it reads what "
        "is live and does only what is missing)"
    )


def confirmer(
    rt: Runtime, *, yes: bool, confirmed: Callable[[Plan], None] | None = None
) -> Confirm:
    """Show the fresh plan on stdout (only its summary and checksum with ``-q``); ask unless
    ``yes``."""
    colour = rt.colour(os.environ)
    brief = quiet()

    def confirm(plan: Plan) -> bool:
        if brief:
            click.echo(f"{render.summary_line(plan)}\nChecksum: {plan.checksum}")
        else:
            click.echo(render.render(plan, "text", color=colour), nl=False, color=colour)
        if plan.is_blocked:
            click.echo(
                f"plan is blocked by {len(plan.blocked)} safety rule(s); --force: applying it",
                err=True,
            )
        go = yes or click.confirm(f"Apply these {len(plan.changes)} change(s)?", default=False)
        if go and confirmed is not None:
            confirmed(plan)
        return go

    return confirm


def report(run: ApplyRun) -> None:
    """The outcome on stdout, and the exit: 1 when declined or when a change failed."""
    if run.result is None:
        leave(EXIT_ERROR, "apply cancelled; nothing was changed")
    if run.plan.is_empty:
        click.echo("No changes. Partner Hub matches the desired state.")
        return
    click.echo(result_table(run.result), nl=False)
    if not run.result.ok:
        counts = run.result.counts
        raise ApplyFailed(
            f"{counts['failed']} change(s) failed and {counts['skipped']} were skipped; "
            "fix the cause and re-run apply (it continues from what is live)"
        )
