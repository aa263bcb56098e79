"""Which reviewed plans an apply needs: every merged pull request's, or a refusal naming it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reconciler.merged import (
    Artifact,
    Commit,
    PlanRun,
    Pull,
    ReviewedPlan,
    artifact_name,
    marker_verdict,
    pick_plan_run,
    select_reviewed,
)

REPO = "acme/estate"
HEAD = "a" * 40


def run(
    id: int,
    *,
    head: str = HEAD,
    conclusion: str | None = "success",
    event: str = "pull_request",
    repo: str = REPO,
    artifacts: tuple[Artifact, ...] | None = None,
    pull: int = 7,
) -> PlanRun:
    found = (Artifact(100 + id, artifact_name(pull)),) if artifacts is None else artifacts
    return PlanRun(id, head, event, conclusion, repo, f"https://gh/runs/{id}", found)


PULL = Pull(7, HEAD, "Add Ann")


def test_the_newest_successful_run_on_the_final_head_holds_the_reviewed_plan() -> None:
    runs = [run(1), run(3), run(2), run(4, conclusion="failure")]
    assert pick_plan_run(PULL, runs, REPO) == ReviewedPlan(7, HEAD, 3, 103, "https://gh/runs/3")


def test_runs_on_an_earlier_head_or_the_merge_queue_do_not_count() -> None:
    runs = [run(1, head="b" * 40), run(2, event="merge_group")]
    assert pick_plan_run(PULL, runs, REPO) == "no plan run on its final head aaaaaaa"


def test_a_failed_plan_has_no_reviewed_plan() -> None:
    runs = [run(5, conclusion="failure", artifacts=())]
    assert pick_plan_run(PULL, runs, REPO) == (
        "its plan run on aaaaaaa did not succeed (failure: https://gh/runs/5)"
    )


def test_a_plan_still_running_is_not_reviewed() -> None:
    assert "still running" in str(pick_plan_run(PULL, [run(5, conclusion=None)], REPO))


def test_a_successful_run_without_the_artifact_is_refused() -> None:
    result = pick_plan_run(PULL, [run(5, artifacts=(Artifact(9, "other"),))], REPO)
    assert result == "its plan run https://gh/runs/5 on aaaaaaa has no reconciler-plan-7 artifact"


def test_a_re_run_attempt_s_upload_is_the_one_used() -> None:
    again = (Artifact(9, artifact_name(7), True), Artifact(12, artifact_name(7)))
    result = pick_plan_run(PULL, [run(5, artifacts=again)], REPO)
    assert isinstance(result, ReviewedPlan)
    assert result.artifact_id == 12


def test_an_expired_artifact_is_refused() -> None:
    result = pick_plan_run(PULL, [run(5, artifacts=(Artifact(9, artifact_name(7), True),))], REPO)
    assert result == "the reconciler-plan-7 artifact of run https://gh/runs/5 has expired"


def test_a_fork_s_run_never_counts_whatever_it_uploaded() -> None:
    result = pick_plan_run(PULL, [run(5, repo="mallory/estate")], REPO)
    assert isinstance(result, str)
    assert "fork (mallory/estate)" in result
    assert "no credentials" in result


def test_the_repository_name_compares_case_insensitively() -> None:
    assert isinstance(pick_plan_run(PULL, [run(5, repo="Acme/Estate")], REPO), ReviewedPlan)


def plan_of(number: int) -> ReviewedPlan:
    return ReviewedPlan(number, f"{number:040d}", number, number)


def test_every_pull_request_merged_since_the_marker_gives_its_plan_in_merge_order() -> None:
    commits = [Commit("1" * 40, "Add Ann", (12,)), Commit("2" * 40, "Add Bob", (14,))]
    lookups = {12: plan_of(12), 14: plan_of(14)}
    selection = select_reviewed(commits, {}, lookups)
    assert selection.ok
    assert [p.pull for p in selection.plans] == [12, 14]


def test_a_pull_request_with_several_commits_gives_one_plan() -> None:
    commits = [Commit("1" * 40, "a", (12,)), Commit("2" * 40, "b", (12,))]
    assert select_reviewed(commits, {}, {12: plan_of(12)}).plans == (plan_of(12),)


def test_a_direct_push_is_refused_naming_the_commit() -> None:
    commits = [Commit("1" * 40, "Add Ann", (12,)), Commit("f" * 40, "hotfix: Bob")]
    selection = select_reviewed(commits, {}, {12: plan_of(12)})
    assert not selection.ok
    assert selection.refusals == (
        "commit fffffff (hotfix: Bob) changed the desired state without a pull request, so it "
        "has no reviewed plan",
    )


def test_a_pull_request_without_a_plan_is_refused_naming_it_and_why() -> None:
    commits = [Commit("1" * 40, "x", (12,)), Commit("2" * 40, "y", (14,))]
    pulls = {14: Pull(14, "2" * 40, "Move Bob")}
    lookups: dict[int, ReviewedPlan | str] = {12: plan_of(12), 14: "its plan run did not succeed"}
    selection = select_reviewed(commits, pulls, lookups)
    assert selection.refusals == ("pull request #14 (Move Bob): its plan run did not succeed",)
    assert selection.plans == (plan_of(12),)


def test_nothing_merged_needs_no_plan() -> None:
    selection = select_reviewed([], {}, {})
    assert selection.ok
    assert selection.plans == ()


@pytest.mark.parametrize(
    ("relation", "expected", "words"),
    [
        ("ahead", "apply", "everything merged since"),
        ("same", "applied", "already applied"),
        ("behind", "applied", "already applied"),
        ("diverged", "refused", "history rewritten"),
    ],
)
def test_the_marker_decides_whether_to_apply(relation: str, expected: str, words: str) -> None:
    verdict, message = marker_verdict(relation, "1" * 40, "2" * 40)  # type: ignore[arg-type]
    assert verdict == expected
    assert words in message


@pytest.mark.parametrize("module", ["review", "merged"])
def test_the_decisions_are_pure(module: str) -> None:
    path = Path(__file__).resolve().parents[2] / "reconciler" / f"{module}.py"
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    allowed = {"__future__", "collections.abc", "dataclasses", "typing", "json", "reconciler.plan"}
    assert imported <= allowed, imported - allowed
