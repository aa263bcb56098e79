"""``customers_changed_since``: customers touched by the files changed since a git ref."""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.desired import customers_changed_since, scope_changed_since
from reconciler.errors import ConfigError

Write = Callable[[dict[str, Any]], Path]

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=ENV)


def _own_lines(user: dict[str, Any]) -> dict[str, Any]:
    """An email and a phone number are one user's in all of Partner Hub: a copy's own."""
    own = {"email": user["email"].replace("@acme.", "@globex.")}
    return own | ({"phoneNumber": user["phoneNumber"][:-1] + "9"} if "phoneNumber" in user else {})


@pytest.fixture
def repo(write: Write, docs: dict[str, Any]) -> Path:
    """A git repository whose ``estate/`` holds acme, globex (own users file) and a template."""
    estate = copy.deepcopy(docs)
    globex = dict(estate["customers/acme.yaml"][0], externalId="globex", name="Globex")
    users = globex.pop("users")
    estate["customers/globex.yaml"] = [globex]
    estate["customers/globex-users.yaml"] = [
        {"kind": "User", "customer": "globex", **u, **_own_lines(u)} for u in users
    ]
    estate["templates/other.yaml"] = [{"kind": "Template", "name": "other"}]
    root = write(estate)
    git(root.parent, "init", "-q", "-b", "main")
    git(root.parent, "add", ".")
    git(root.parent, "commit", "-q", "-m", "start")
    return root


def edit(path: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    docs = list(yaml.safe_load_all(path.read_text()))
    change(docs)
    path.write_text(yaml.safe_dump_all(docs))


def test_nothing_changed(repo: Path) -> None:
    assert customers_changed_since(repo, "HEAD") == frozenset()


def test_a_changed_users_file_touches_its_customer(repo: Path) -> None:
    edit(repo / "customers/globex-users.yaml", lambda d: d[0].update(firstName="Zed"))
    assert customers_changed_since(repo, "HEAD") == {"globex"}


def test_a_changed_template_touches_its_customers(repo: Path) -> None:
    edit(repo / "templates/basic.yaml", lambda d: d[0].update(description="new"))
    assert customers_changed_since(repo, "HEAD") == {"acme", "globex"}


def test_untracked_and_deleted_files_count(repo: Path) -> None:
    (repo / "customers/globex-users.yaml").unlink()
    assert customers_changed_since(repo, "HEAD") == {"globex"}
    git(repo.parent, "commit", "-qam", "drop globex users")
    (repo / "more.yaml").write_text(
        "kind: Location\ncustomer: acme\nname: Waco\n", encoding="utf-8"
    )
    assert customers_changed_since(repo, "HEAD") == {"acme"}
    assert customers_changed_since(repo, "HEAD~1") == {"acme", "globex"}


def test_bad_ref_is_a_config_error(repo: Path) -> None:
    with pytest.raises(ConfigError, match="git diff"):
        customers_changed_since(repo, "no-such-ref")
    with pytest.raises(ConfigError, match="not a git ref"):
        customers_changed_since(repo, "--output=/tmp/x")


def test_outside_a_repository_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="git rev-parse"):
        customers_changed_since(tmp_path, "HEAD")


def test_a_settings_document_changed_or_added_covers_the_whole_estate(repo: Path) -> None:
    # A setting (prune, the thresholds) reaches every customer, also live ones no YAML names.
    (repo / "settings.yaml").write_text("kind: Settings\nprune: true\n", encoding="utf-8")
    assert scope_changed_since(repo, "HEAD") is None
    assert customers_changed_since(repo, "HEAD") == {"acme", "globex"}
    git(repo.parent, "add", ".")
    git(repo.parent, "commit", "-qm", "settings")
    assert scope_changed_since(repo, "HEAD") == frozenset()
    # Removed since the ref: declared there, so it counts as well.
    (repo / "settings.yaml").unlink()
    assert scope_changed_since(repo, "HEAD") is None


def test_a_settings_file_outside_the_directory_does_not_widen(repo: Path) -> None:
    (repo.parent / "elsewhere.yaml").write_text("kind: Settings\nprune: true\n", encoding="utf-8")
    assert scope_changed_since(repo, "HEAD") == frozenset()
