"""Find and download the reviewed plans an apply of ``head`` needs (git and GitHub facts in,
``reconciler.merged`` decisions, plan files out).

The last-applied marker is a git tag (``reconciler-applied`` by default) that the apply
workflow moves to the applied commit after a clean apply. Everything since it is in scope:
the commits that changed the desired-state directory, each one's merged pull requests, and each
pull request's reviewed plan (the JSON artifact of the plan run on its final head). The apply
scope is ``--changed-since`` the marker, or the whole estate when a Settings document changed
(``prune``, thresholds), since a setting reaches every customer.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from reconciler.desired.changed import declares_settings
from reconciler.errors import ConfigError, PlanError
from reconciler.git import git as _git
from reconciler.github import GitHub
from reconciler.merged import (
    Commit,
    Pull,
    Relation,
    ReviewedPlan,
    marker_verdict,
    pick_plan_run,
    select_reviewed,
)
from reconciler.plan import Plan

MARKER = "reconciler-applied"


@dataclass(frozen=True, slots=True)
class Found:
    """What an apply of ``head`` may do: ``apply`` False means stop (``message`` says why:
    already applied, or refused with ``refusals``)."""

    apply: bool
    message: str
    marker: str = ""
    #: ``--changed-since`` this commit; ``None``: the whole estate (a setting changed).
    since: str | None = None
    files: tuple[Path, ...] = ()
    plans: tuple[ReviewedPlan, ...] = ()
    refusals: tuple[str, ...] = ()


def find_reviewed(
    directory: Path,
    github: GitHub,
    out_dir: Path,
    *,
    head: str = "HEAD",
    marker: str = MARKER,
    branch: str = "main",
    workflow: str = "plan.yml",
) -> Found:
    """Decide, then download each reviewed plan to ``out_dir/pr-N.json`` (checked to be a plan
    file). Raises ``ConfigError`` when git or GitHub cannot answer."""
    top = Path(_git(directory, "rev-parse", "--show-toplevel").strip())
    head_sha = _commit(top, head, "the commit to apply")
    marker_sha = _commit(
        top,
        marker,
        f"the last-applied marker {marker!r} (run the full apply once from the workflow's "
        "'Run workflow' button: it sets the marker)",
    )
    verdict, message = marker_verdict(relation(top, marker_sha, head_sha), marker_sha, head_sha)
    if verdict != "apply":
        refusals = (message,) if verdict == "refused" else ()
        return Found(False, message, marker_sha, refusals=refusals)
    rel = Path(directory).resolve().relative_to(top.resolve()).as_posix()
    pulls: dict[int, Pull] = {}
    commits = []
    for sha, subject in commits_since(top, marker_sha, head_sha, rel):
        merged = github.merged_pulls(sha, branch)
        pulls.update((p.number, p) for p in merged)
        commits.append(Commit(sha, subject, tuple(sorted(p.number for p in merged))))
    lookups: dict[int, ReviewedPlan | str] = {
        n: pick_plan_run(p, github.plan_runs(p.head_sha, workflow), github.repository)
        for n, p in pulls.items()
    }
    selection = select_reviewed(commits, pulls, lookups)
    since = None if settings_changed(top, marker_sha, head_sha, rel) else marker_sha
    if not selection.ok:
        return Found(
            False,
            f"{len(selection.refusals)} change(s) since {marker_sha[:7]} have no reviewed plan; "
            "nothing was applied",
            marker_sha,
            since,
            refusals=selection.refusals,
        )
    if not selection.plans:
        # Nothing reviewed is needed, so nothing may be applied: an apply on a push always
        # carries at least one reviewed plan, never none (which would check nothing).
        return Found(
            False,
            f"nothing under {rel} changed since {marker_sha[:7]}: nothing to apply",
            marker_sha,
            since,
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for plan in selection.plans:
        text = github.download_plan(plan.artifact_id)
        try:
            Plan.from_json(text)
        except PlanError as exc:
            raise ConfigError(f"the reviewed plan of pull request #{plan.pull}: {exc}") from exc
        path = out_dir / f"pr-{plan.pull}.json"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    scope = "the whole estate (a setting changed)" if since is None else "the changed customers"
    return Found(
        True,
        f"{message}; {len(files)} reviewed plan(s); scope: {scope}",
        marker_sha,
        since,
        tuple(files),
        selection.plans,
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """What a plan of the desired state since ``base`` covers: nothing (no file under the
    directory changed), the changed customers (``since`` is the base commit), or the whole
    estate (``since`` is ``None``: a Settings document changed)."""

    changed: bool
    since: str | None


def plan_scope(directory: Path, base: str, head: str = "HEAD") -> Scope:
    """The scope of a pull request's plan (``base``: where its branch left the base branch)."""
    top = Path(_git(directory, "rev-parse", "--show-toplevel").strip())
    rel = Path(directory).resolve().relative_to(top.resolve()).as_posix()
    base_sha = _commit(top, base, "the base of the change")
    head_sha = _commit(top, head, "the head of the change")
    if not _git(top, "diff", "--name-only", base_sha, head_sha, "--", rel).strip():
        return Scope(False, base_sha)
    if settings_changed(top, base_sha, head_sha, rel):
        return Scope(True, None)
    return Scope(True, base_sha)


def relation(top: Path, marker: str, head: str) -> Relation:
    if marker == head:
        return "same"
    if _is_ancestor(top, marker, head):
        return "ahead"
    if _is_ancestor(top, head, marker):
        return "behind"
    return "diverged"


def commits_since(top: Path, marker: str, head: str, rel: str) -> list[tuple[str, str]]:
    """``(sha, subject)`` of each commit after ``marker`` up to ``head`` that changed ``rel``,
    oldest first."""
    out = _git(top, "log", "--reverse", "--format=%H%x00%s", f"{marker}..{head}", "--", rel)
    return [(line.split("\0", 1)[0], line.split("\0", 1)[1]) for line in out.splitlines() if line]


def settings_changed(top: Path, marker: str, head: str, rel: str) -> bool:
    """Whether a YAML file under ``rel`` that declares Settings (then or now) changed."""
    names = _git(top, "diff", "--name-only", "-z", marker, head, "--", rel).split("\0")
    for name in (n for n in names if n.endswith((".yaml", ".yml"))):
        for rev in (marker, head):
            shown = subprocess.run(  # noqa: S603 - fixed argv, no shell
                ["git", "-C", str(top), "show", f"{rev}:{name}"],  # noqa: S607
                capture_output=True,
                text=True,
                check=False,
            )
            if shown.returncode == 0 and declares_settings(shown.stdout, name):
                return True
    return False


def _commit(top: Path, ref: str, what: str) -> str:
    if ref.startswith("-"):
        raise ConfigError(f"not a git ref: {ref!r}")
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["git", "-C", str(top), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ConfigError(f"no commit {ref!r}: {what}")
    return done.stdout.strip()


def _is_ancestor(top: Path, older: str, newer: str) -> bool:
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["git", "-C", str(top), "merge-base", "--is-ancestor", older, newer],  # noqa: S607
        capture_output=True,
        check=False,
    )
    return done.returncode == 0
