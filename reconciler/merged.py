"""Which reviewed plans an apply on the default branch needs, decided from git and GitHub facts.

Pure: no IO. The facts come from ``reconciler.github`` (GitHub's REST answers) and ``git``; the
decisions are here, where tests reach them:

- ``marker_verdict``: whether the commit being applied is ahead of the last-applied marker (then
  everything since the marker is in scope, so a run GitHub replaced while pending is covered by
  the next), is the marker itself or behind it (already applied: a re-run of an old run must not
  roll newer changes back), or has diverged from it (history rewritten: refuse).
- ``pick_plan_run``: which ``plan`` workflow run of a pull request holds its reviewed plan: the
  newest successful ``pull_request`` run on the pull request's final head, from the base
  repository (a fork's run has no credentials and could upload any file), with its plan
  artifact.
- ``select_reviewed``: the reviewed plan of every pull request merged since the marker that
  changed the desired state, or a refusal naming each pull request without one and each commit
  that reached the branch without a pull request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

#: Name of the artifact the plan workflow uploads, for pull request ``number``.
ARTIFACT_PREFIX = "reconciler-plan-"

Relation = Literal["ahead", "same", "behind", "diverged"]
Verdict = Literal["apply", "applied", "refused"]


def artifact_name(number: int) -> str:
    return f"{ARTIFACT_PREFIX}{number}"


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit since the marker that changed the desired state, and the pull requests merged
    into the branch that GitHub associates with it."""

    sha: str
    subject: str
    pulls: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Pull:
    number: int
    #: The head commit when it was merged (its final head).
    head_sha: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Artifact:
    id: int
    name: str
    expired: bool = False


@dataclass(frozen=True, slots=True)
class PlanRun:
    """One run of the plan workflow, as GitHub lists it."""

    id: int
    head_sha: str
    event: str
    #: ``success``, ``failure``, ``cancelled``…; ``None`` while it runs.
    conclusion: str | None
    #: ``owner/name`` of the repository the head commit lives in.
    head_repository: str
    url: str = ""
    artifacts: tuple[Artifact, ...] = ()


@dataclass(frozen=True, slots=True)
class ReviewedPlan:
    """Where a pull request's reviewed plan is: the run and the artifact to download."""

    pull: int
    head_sha: str
    run_id: int
    artifact_id: int
    url: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    plans: tuple[ReviewedPlan, ...] = ()
    refusals: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.refusals


def marker_verdict(relation: Relation, marker: str, head: str) -> tuple[Verdict, str]:
    """``(verdict, message)``: go on (``apply``), stop as done (``applied``) or stop refusing
    (``refused``), and the line that says why (for the log)."""
    short_marker, short_head = marker[:7], head[:7]
    if relation == "ahead":
        return "apply", f"applying {short_head}: everything merged since {short_marker}"
    if relation in ("same", "behind"):
        return "applied", (
            f"{short_head} is already applied (the last-applied marker is at {short_marker}); "
            "nothing to do"
        )
    return "refused", (
        f"{short_head} does not descend from the last-applied commit {short_marker} (history "
        "rewritten?): refusing; check the branch, then run the full apply by hand"
    )


def pick_plan_run(pull: Pull, runs: Sequence[PlanRun], repository: str) -> ReviewedPlan | str:
    """The reviewed plan of ``pull`` among the plan runs on its head, or why there is none."""
    head = pull.head_sha[:7]
    mine = [r for r in runs if r.head_sha == pull.head_sha and r.event == "pull_request"]
    if not mine:
        return f"no plan run on its final head {head}"
    own = [r for r in mine if r.head_repository.lower() == repository.lower()]
    if not own:
        return (
            f"its head {head} is in a fork ({mine[0].head_repository}): forks get no "
            "credentials, so it has no reviewed plan"
        )
    done = sorted((r for r in own if r.conclusion == "success"), key=lambda r: r.id)
    if not done:
        newest = max(own, key=lambda r: r.id)
        state = newest.conclusion or "still running"
        return f"its plan run on {head} did not succeed ({state}: {newest.url or newest.id})"
    run = done[-1]
    wanted = artifact_name(pull.number)
    found = [a for a in run.artifacts if a.name == wanted]
    if not found:
        return f"its plan run {run.url or run.id} on {head} has no {wanted} artifact"
    upload = max(found, key=lambda a: a.id)  # a re-run attempt uploads it again
    if upload.expired:
        return f"the {wanted} artifact of run {run.url or run.id} has expired"
    return ReviewedPlan(pull.number, pull.head_sha, run.id, upload.id, run.url)


def select_reviewed(
    commits: Sequence[Commit],
    pulls: Mapping[int, Pull],
    lookups: Mapping[int, ReviewedPlan | str],
) -> Selection:
    """The plans to check the fresh plan against, one per pull request, in merge order of the
    commits; or refusals naming every pull request without a reviewed plan and every commit
    that changed the desired state without one."""
    plans: list[ReviewedPlan] = []
    refusals: list[str] = []
    seen: set[int] = set()
    for commit in commits:
        if not commit.pulls:
            refusals.append(
                f"commit {commit.sha[:7]} ({commit.subject}) changed the desired state without "
                "a pull request, so it has no reviewed plan"
            )
            continue
        for number in commit.pulls:
            if number in seen:
                continue
            seen.add(number)
            found = lookups.get(number)
            pull = pulls.get(number)
            title = f" ({pull.title})" if pull is not None and pull.title else ""
            if isinstance(found, ReviewedPlan):
                plans.append(found)
            else:
                refusals.append(f"pull request #{number}{title}: {found or 'not found'}")
    return Selection(tuple(plans), tuple(refusals))
