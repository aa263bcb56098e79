"""``reconciler review scope|find``: outputs for ``$GITHUB_OUTPUT`` and one message per misuse."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

BASE_ENV: dict[str, str | None] = {
    "GITHUB_TOKEN": None,
    "GITHUB_REPOSITORY": None,
    "GITHUB_API_URL": None,
    "GITHUB_REF_NAME": None,
}


def run(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["review", *args], env=BASE_ENV | (env or {}))
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "dev@acme.example")
    git("config", "user.name", "Dev")
    (tmp_path / "desired-state").mkdir()
    (tmp_path / "desired-state" / "settings.yaml").write_text("kind: Settings\nprune: false\n")
    (tmp_path / "desired-state" / "acme.yaml").write_text("kind: Template\nname: a\n")
    (tmp_path / "README.md").write_text("estate\n")
    git("add", "-A")
    git("commit", "-q", "-m", "start")
    git("tag", "start")
    return tmp_path


def commit(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", name], check=True)


def test_scope_nothing_changed_under_the_directory(repo: Path) -> None:
    commit(repo, "README.md", "more\n")
    code, out, err = run("scope", str(repo / "desired-state"), "--base", "start")
    assert code == 0
    assert out.splitlines()[0] == "changed=false"
    assert "nothing to plan" in err


def test_scope_a_customer_file_changed(repo: Path) -> None:
    commit(repo, "desired-state/acme.yaml", "kind: Template\nname: b\n")
    code, out, _ = run("scope", str(repo / "desired-state"), "--base", "start")
    sha = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "start"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert (code, out) == (0, f"changed=true\nargs=--changed-since {sha}\n")


def test_scope_a_settings_change_widens_to_the_whole_estate(repo: Path) -> None:
    commit(repo, "desired-state/settings.yaml", "kind: Settings\nprune: true\n")
    code, out, err = run("scope", str(repo / "desired-state"), "--base", "start")
    assert (code, out) == (0, "changed=true\nargs=\n")
    assert "whole estate" in err


def test_scope_an_unknown_base_is_one_message(repo: Path) -> None:
    code, _, err = run("scope", str(repo / "desired-state"), "--base", "nope")
    assert code == 1
    assert err == "error: no commit 'nope': the base of the change\n"


def test_find_needs_a_github_token(repo: Path) -> None:
    code, out, err = run("find", str(repo / "desired-state"), env={"GITHUB_REPOSITORY": "a/b"})
    assert code == 64
    assert out == ""
    assert "review find needs GITHUB_TOKEN" in err


def test_find_needs_the_repository(repo: Path) -> None:
    code, _, err = run("find", str(repo / "desired-state"), env={"GITHUB_TOKEN": "t"})
    assert code == 64
    assert "--repository OWNER/NAME (or GITHUB_REPOSITORY)" in err


def test_find_refuses_plain_http_to_another_host(repo: Path) -> None:
    env = {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "http://gh.test"}
    code, _, err = run("find", str(repo / "desired-state"), env=env)
    assert code == 64
    assert "refusing plain http:// to gh.test" in err


def test_find_refuses_an_out_dir_with_spaces(repo: Path) -> None:
    env = {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b"}
    code, _, err = run("find", str(repo / "desired-state"), "--out-dir", "a b", env=env)
    assert code == 64
    assert "split on spaces" in err
