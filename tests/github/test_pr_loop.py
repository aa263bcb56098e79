"""The pull-request loop end to end on a temporary git repository (bare origin, branches,
merges), the apply workflow's steps against an in-process sandbox and a fake GitHub API: no
reviewed change is lost and no unreviewed change is applied."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github import FakeGitHub, served
from pull_request_loop import Loop, customer_yaml

from reconciler.reviewed import MARKER

ADA = {"Ada": ""}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with served(fake):
        yield fake


@pytest.fixture
def loop(tmp_path: Path, github: FakeGitHub) -> Loop:
    loop = Loop(tmp_path, github)
    loop.start({"acme": ADA, "globex": {}, "initech": {}})
    return loop


def test_a_merged_pull_request_is_applied_and_the_marker_moves(loop: Loop) -> None:
    pull = loop.open_pr(
        "Add Bea", {"customers/acme.yaml": customer_yaml("acme", ADA | {"Bea": ""})}
    )
    plan = loop.plan_pr(pull)
    assert plan is not None
    assert [c.address for c in plan.changes] == ["user/acme/bea@acme.example"]
    head = loop.merge(pull)
    outcome = loop.apply_run()
    assert outcome.stage == "applied", outcome.output
    assert outcome.found.pulls == [pull.number]
    assert loop.git("rev-parse", MARKER) == head
    assert loop.converged()


def acme(**users: str) -> dict[str, str]:
    return {"customers/acme.yaml": customer_yaml("acme", ADA | users)}


def apply_elsewhere(loop: Loop, files: dict[str, str]) -> None:
    """Change live Partner Hub outside the loop: an apply of an edited copy of the estate (what
    a cut-short run left, or someone's edit in Partner Hub)."""
    copy = loop.root / "elsewhere"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(loop.estate, copy)
    for name, text in files.items():
        (copy / name).write_text(text, encoding="utf-8")
    code, out = loop.reconciler("apply", str(copy), "--yes")
    assert code == 0, out


def test_a_re_run_after_a_partial_apply_finishes_the_job(loop: Loop) -> None:
    pull = loop.open_pr(
        "Four people", acme(Bea="User and Device Administrator", Cai="", Dee="", Eve="")
    )
    loop.plan_pr(pull)
    loop.merge(pull)
    # The first apply was cancelled: Cai was created, Bea too but without her role yet.
    apply_elsewhere(loop, acme(Bea="", Cai=""))
    outcome = loop.apply_run()
    assert outcome.stage == "applied", outcome.output
    assert outcome.check is not None
    left = {(c.action, c.address) for c in outcome.check.fresh.changes}
    assert left == {
        ("update", "user/acme/bea@acme.example"),
        ("create", "user/acme/dee@acme.example"),
        ("create", "user/acme/eve@acme.example"),
    }
    assert loop.converged()
    # "Re-run jobs" on that run once it succeeded: already applied, nothing to do.
    again = loop.apply_run()
    assert again.stage == "found"
    assert again.found.code == 0
    assert not again.found.refusals
    assert "already applied" in again.found.message


def test_a_re_run_after_a_complete_apply_that_did_not_move_the_marker_converges(
    loop: Loop,
) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    loop.plan_pr(pull)
    head = loop.merge(pull)
    assert loop.apply_run(move_marker=False).stage == "applied"
    outcome = loop.apply_run()
    assert outcome.stage == "nothing"
    assert outcome.output == "nothing left to apply"
    assert loop.git("rev-parse", MARKER) == head


def test_a_push_outside_the_desired_state_applies_nothing(loop: Loop) -> None:
    loop.git("checkout", "-q", "main")
    (loop.work / "README.md").write_text("Our estate\n")
    loop.git("add", "README.md")
    loop.git("commit", "-q", "-m", "Readme")
    outcome = loop.apply_run()
    assert outcome.stage == "found"
    assert outcome.found.code == 0
    assert outcome.found.out["apply"] == "false"
    assert "nothing under desired-state changed since" in outcome.found.message


def test_a_direct_push_is_refused_and_nothing_is_written(loop: Loop) -> None:
    loop.direct_push(acme(Zed=""), "Add Zed straight to main")
    outcome = loop.apply_run()
    assert outcome.stage == "found"
    assert outcome.found.code == 1
    assert outcome.found.out["apply"] == "false"
    [refusal] = outcome.found.refusals
    assert "(Add Zed straight to main) changed the desired state without a pull request" in (
        refusal
    )
    assert not loop.converged(), "Zed was not created"


def test_a_pull_request_whose_plan_failed_is_refused_by_number(loop: Loop) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    loop.plan_pr(pull, conclusion="failure")  # e.g. a 401 from Partner Hub: no artifact
    loop.merge(pull)
    outcome = loop.apply_run()
    assert outcome.stage == "found"
    [refusal] = outcome.found.refusals
    assert refusal.startswith(f"pull request #{pull.number} (Add Bea): its plan run on ")
    assert "did not succeed (failure:" in refusal
    assert not loop.converged()


def test_a_push_to_the_pull_request_after_its_plan_is_refused(loop: Loop) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    loop.plan_pr(pull)
    # Another commit lands on the branch, and the pull request is merged before it is planned.
    loop.git("checkout", "-q", f"pr-{pull.number}")
    loop.write(acme(Bea="Full Administrator"))
    loop.git("commit", "-q", "-am", "Bea is an administrator")
    loop.git("push", "-q", "origin", f"pr-{pull.number}")
    pull.head_sha = loop.git("rev-parse", "HEAD")
    loop.git("checkout", "-q", "main")
    loop.merge(pull)
    [refusal] = loop.apply_run().found.refusals
    assert f"no plan run on its final head {pull.head_sha[:7]}" in refusal


def test_an_out_of_band_change_in_partner_hub_refuses_the_whole_run(loop: Loop) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    loop.plan_pr(pull)
    loop.merge(pull)
    # Meanwhile someone renamed Ada in Partner Hub; apply would silently write her back.
    renamed = customer_yaml("acme", ADA).replace("firstName: Ada", "firstName: Adaline")
    apply_elsewhere(loop, {"customers/acme.yaml": renamed})
    outcome = loop.apply_run()
    assert outcome.stage == "refused"
    assert outcome.output == (
        "1 of 2 change(s) in the fresh plan were not reviewed; nothing was applied:\n"
        "  update user/acme/ada@acme.example: in no reviewed plan"
    )
    _, out = loop.reconciler("plan", str(loop.estate))
    assert "bea@acme.example" in out, "Bea was not created either: the run stopped before writing"


def test_three_quick_merges_the_replaced_middle_run_is_covered_by_the_next(loop: Loop) -> None:
    first = loop.open_pr("Add Bea", acme(Bea=""))
    second = loop.open_pr(
        "Add Gus", {"customers/globex.yaml": customer_yaml("globex", {"Gus": ""})}
    )
    third = loop.open_pr(
        "Add Ian", {"customers/initech.yaml": customer_yaml("initech", {"Ian": ""})}
    )
    for pull in (first, second, third):
        loop.plan_pr(pull)
    loop.merge(first)
    assert loop.apply_run().stage == "applied"
    middle = loop.merge(second)  # its apply run waits, and GitHub replaces it with the next
    last = loop.merge(third)
    outcome = loop.apply_run()
    assert outcome.stage == "applied", outcome.output
    assert outcome.found.pulls == [second.number, third.number]
    assert loop.converged()
    assert loop.git("rev-parse", MARKER) == last
    # Were the replaced run started by hand later, it would find its commit already applied.
    late = loop.apply_run(middle)
    assert late.stage == "found"
    assert "already applied" in late.found.message


def test_a_merge_queue_batch_of_two_uses_both_reviewed_plans(loop: Loop) -> None:
    first = loop.open_pr("Add Bea", acme(Bea=""))
    second = loop.open_pr(
        "Add Gus", {"customers/globex.yaml": customer_yaml("globex", {"Gus": ""})}
    )
    loop.plan_pr(first)
    loop.plan_pr(second)
    loop.merge(first, second)  # one push
    outcome = loop.apply_run()
    assert outcome.stage == "applied", outcome.output
    assert outcome.found.pulls == [first.number, second.number]
    assert loop.converged()


def test_turning_on_prune_shows_and_applies_the_deletions_it_causes(loop: Loop) -> None:
    # A user made in Partner Hub by hand: listed as unmanaged while prune is off.
    apply_elsewhere(loop, acme(Old=""))
    loop.write(acme())
    code, out = loop.reconciler("plan", str(loop.estate))
    assert "old@acme.example" in out
    pull = loop.open_pr(
        "Prune", {"settings.yaml": "kind: Settings\nprune: true\nmaxDeletePercent: 50\n"}
    )
    # What a plan scoped by --changed-since alone shows for it: no customer file changed.
    loop.git("checkout", "-q", f"pr-{pull.number}")
    code, out = loop.reconciler("plan", str(loop.estate), "--changed-since", "origin/main")
    loop.git("checkout", "-q", "main")
    assert code == 0
    assert "no customer changed since origin/main: nothing in scope" in out
    # The plan workflow widens the scope to the whole estate for a settings change.
    plan = loop.plan_pr(pull)
    assert plan is not None
    assert [(c.action, c.address) for c in plan.changes] == [
        ("delete", "user/acme/old@acme.example")
    ]
    loop.merge(pull)
    outcome = loop.apply_run()
    assert outcome.found.scope == [], "a setting changed: the whole estate is in scope"
    assert "scope: the whole estate (a setting changed)" in outcome.found.message
    assert outcome.stage == "applied", outcome.output
    assert loop.converged()


def test_rewritten_history_is_refused(loop: Loop) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    loop.plan_pr(pull)
    loop.merge(pull)
    loop.move_marker(f"pr-{pull.number}")  # a marker on a commit main does not descend from
    loop.git("reset", "-q", "--hard", "HEAD~1")
    loop.write(acme(Cai=""))
    loop.git("commit", "-q", "-am", "Add Cai on a rewritten main")
    outcome = loop.apply_run()
    assert outcome.stage == "found"
    assert "history rewritten" in outcome.found.refusals[0]


def test_no_marker_says_how_to_set_one(tmp_path: Path, github: FakeGitHub) -> None:
    loop = Loop(tmp_path, github)
    loop.start({"acme": ADA})
    loop.git("tag", "-d", MARKER)
    outcome = loop.apply_run()
    assert outcome.found.code == 1
    assert outcome.found.message.startswith(
        "error: no commit 'reconciler-applied': the last-applied marker 'reconciler-applied'"
    )
    assert "full apply once" in outcome.found.message


WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def test_the_workflows_read_only_outputs_the_commands_print(loop: Loop) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    loop.plan_pr(pull)
    loop.merge(pull)
    printed_find = set(loop.apply_run().found.out)
    base = loop.git("rev-parse", "HEAD~1")
    _, text, _ = loop.review("scope", str(loop.estate), "--base", base)
    printed_scope = {line.split("=", 1)[0] for line in text.splitlines()}
    plan_yml = (WORKFLOWS / "plan.yml").read_text()
    apply_yml = (WORKFLOWS / "apply.yml").read_text()
    assert set(re.findall(r"steps\.decided\.outputs\.([\w-]+)", plan_yml)) <= printed_scope
    assert set(re.findall(r"steps\.reviewed\.outputs\.([\w-]+)", apply_yml)) <= printed_find
    assert printed_find == {"apply", "marker", "args", "pulls"}


def test_an_artifact_that_is_not_a_plan_is_one_clear_refusal(loop: Loop) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    plan = loop.plan_pr(pull)
    assert plan is not None
    # The newest successful run's artifact was edited: its checksum no longer matches.
    edited = plan.to_json().replace("bea@acme.example", "mallory@acme.example")
    loop.gh.add_run(pull.head_sha, "success", artifact=(f"reconciler-plan-{pull.number}", edited))
    loop.merge(pull)
    outcome = loop.apply_run()
    assert outcome.found.code == 1
    assert outcome.found.message == (
        f"error: the reviewed plan of pull request #{pull.number}: plan file checksum does not "
        "match its changes (edited by hand?)\n"
    )
    assert not loop.converged()


def test_a_fork_s_pull_request_is_refused_by_number(loop: Loop) -> None:
    pull = loop.open_pr("Add Bea", acme(Bea=""))
    loop.gh.add_run(
        pull.head_sha, "success", artifact=(f"reconciler-plan-{pull.number}", "{}"),
        head_repository="mallory/estate",
    )  # fmt: skip
    loop.merge(pull)
    [refusal] = loop.apply_run().found.refusals
    assert refusal.startswith(f"pull request #{pull.number} (Add Bea): its head ")
    assert "is in a fork (mallory/estate): forks get no credentials" in refusal
