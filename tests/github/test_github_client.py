"""The GitHub REST reads: what they return, and one clear message (never the token) when
GitHub answers otherwise."""

from __future__ import annotations

import httpx
import pytest
from fake_github import API, TOKEN, FakeGitHub, FakePull

from reconciler.errors import ConfigError
from reconciler.github import GitHub, GitHubError
from reconciler.merged import Artifact, Pull

SHA = "c" * 40


def client(fake: FakeGitHub, token: str = TOKEN) -> GitHub:
    return GitHub(fake.repository, token, api_url=API, transport=fake.transport)


def test_merged_pulls_are_those_merged_into_the_branch() -> None:
    fake = FakeGitHub()
    fake.pulls[1] = FakePull(1, "merged", "1" * 40, merged=True, commits={SHA})
    fake.pulls[2] = FakePull(2, "open", "2" * 40, merged=False, commits={SHA})
    fake.pulls[3] = FakePull(
        3, "into a feature", "3" * 40, base="feature", merged=True, commits={SHA}
    )
    with client(fake) as gh:
        assert gh.merged_pulls(SHA, "main") == [Pull(1, "1" * 40, "merged")]


def test_plan_runs_carry_their_artifacts_and_a_download_gives_the_plan() -> None:
    fake = FakeGitHub()
    run = fake.add_run(SHA, "success", artifact=("reconciler-plan-1", '{"x": 1}'))
    fake.add_run(SHA, None)  # still running: its artifacts are not asked for
    with client(fake) as gh:
        runs = gh.plan_runs(SHA, "plan.yml")
        [artifact_id] = run.artifacts
        assert runs[0].artifacts == (Artifact(artifact_id, "reconciler-plan-1"),)
        assert runs[0].url.endswith(f"/actions/runs/{run.id}")
        assert runs[1].artifacts == ()
        assert gh.download_plan(artifact_id) == '{"x": 1}'
    # The download went through the storage redirect without the token (the fake asserts it).
    assert any(r.url.host == "storage.github.test" for r in fake.requests)
    listed = [r for r in fake.requests if r.url.path.endswith(f"/runs/{runs[1].id}/artifacts")]
    assert listed == []


def test_bad_credentials_are_one_message_without_the_token() -> None:
    secret = "ghs-not-the-right-one"
    with client(FakeGitHub(), secret) as gh, pytest.raises(GitHubError) as caught:
        gh.merged_pulls(SHA, "main")
    assert str(caught.value) == f"GitHub GET /commits/{SHA}/pulls answered 401: Bad credentials"
    assert secret not in str(caught.value)


def test_an_answer_that_is_not_json_or_not_the_shape_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "pulls" in request.url.path:
            return httpx.Response(200, text="<html>")
        return httpx.Response(200, json={"unexpected": True})

    gh = GitHub("acme/estate", TOKEN, api_url=API, transport=httpx.MockTransport(handler))
    with pytest.raises(GitHubError, match="answered something other than JSON"):
        gh.merged_pulls(SHA, "main")
    with pytest.raises(GitHubError, match=r"runs of plan\.yml: unexpected answer"):
        gh.plan_runs(SHA, "plan.yml")


def test_a_dropped_connection_is_one_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    gh = GitHub("acme/estate", TOKEN, api_url=API, transport=httpx.MockTransport(handler))
    with pytest.raises(GitHubError, match="ConnectError"):
        gh.merged_pulls(SHA, "main")


def test_an_artifact_without_a_plan_or_not_a_zip_is_refused() -> None:
    fake = FakeGitHub()
    run = fake.add_run(SHA, "success", artifact=("reconciler-plan-1", "{}"))
    [artifact_id] = run.artifacts
    with client(fake) as gh:
        with pytest.raises(GitHubError, match=r"holds no journal\.jsonl"):
            gh.download_plan(artifact_id, member="journal.jsonl")
        run.artifacts[artifact_id] = ("reconciler-plan-1", b"not a zip")
        with pytest.raises(GitHubError, match="not a zip of a JSON plan"):
            gh.download_plan(artifact_id)


@pytest.mark.parametrize("name", ["acme", "acme/", "/estate", "a/b/c"])
def test_a_repository_name_is_owner_slash_name(name: str) -> None:
    with pytest.raises(ConfigError, match="not a repository name"):
        GitHub(name, TOKEN)
