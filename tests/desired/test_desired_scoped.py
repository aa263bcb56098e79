"""``load_cached``: the desired state through the cache, a scoped run loading only its
customers once the whole directory is known valid in exactly its current bytes, and a problem
anywhere failing every run as without a cache."""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Docs

from reconciler.desired import customers_changed_since, load_desired
from reconciler.desired.cache import default_cache
from reconciler.desired.scoped import load_cached
from reconciler.errors import ValidationFailed
from reconciler.model import State


def two_customers(docs: Docs) -> Docs:
    """The fixture estate with a second customer, ``beta``, in its own file."""
    acme = docs["customers/acme.yaml"]
    assert isinstance(acme, list)
    beta: dict[str, Any] = copy.deepcopy(acme[0])
    beta["externalId"] = "beta"
    beta["name"] = "Beta Corp"
    for user in beta["users"]:
        user["email"] = user["email"].replace("acme", "beta")
        if user.pop("phoneNumber", None):
            user["extension"] = "2001"
    docs["customers/beta.yaml"] = [beta]
    return docs


def only(state: State, ext: str) -> State:
    return State(
        templates=state.templates,
        customers={k: v for k, v in state.customers.items() if k == ext},
        locations={k: v for k, v in state.locations.items() if k[0] == ext},
        users={k: v for k, v in state.users.items() if k[0] == ext},
        settings=state.settings,
    )


def verdicts(cache: Path) -> list[Path]:
    return sorted((cache / "verdicts").glob("*.json"))


def test_a_scoped_load_on_a_verdict_is_the_whole_state_cut_to_the_scope(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(two_customers(docs))
    cache = tmp_path / "cache"
    whole = load_desired(directory)
    first = load_cached(directory, cache, {"beta"})
    assert not first.scoped  # no verdict yet: everything was checked, and one written
    assert first.state == whole
    assert len(verdicts(cache)) == 1
    second = load_cached(directory, cache, {"beta"})
    assert second.scoped
    assert second.state == only(whole, "beta")
    assert second.customers == {"acme", "beta"}
    for key, user in second.state.users.items():
        assert user.source == whole.users[key].source


def test_a_problem_in_another_customer_fails_a_scoped_load(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(two_customers(docs))
    cache = tmp_path / "cache"
    load_cached(directory, cache)  # the verdict of the valid directory
    acme = directory / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("extension: '1001'", "extension: 12x"))
    with pytest.raises(ValidationFailed) as failed:
        load_cached(directory, cache, {"beta"})
    assert {p.file for p in failed.value.problems} == {str(acme)}


def test_a_rule_across_customers_still_fails_a_scoped_load(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    docs = two_customers(docs)
    directory = write(docs)
    cache = tmp_path / "cache"
    load_cached(directory, cache)
    beta = docs["customers/beta.yaml"]
    assert isinstance(beta, list)
    beta[0]["users"][1]["phoneNumber"] = "+12145550101"  # acme's bob has it
    write(docs)
    with pytest.raises(ValidationFailed, match="also the number of the user"):
        load_cached(directory, cache, {"acme"})


def test_a_new_file_misses_the_verdict(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(two_customers(docs))
    cache = tmp_path / "cache"
    load_cached(directory, cache)
    (directory / "customers" / "gamma.yaml").write_text("kind: Customer\nexternalId: gamma\n")
    with pytest.raises(ValidationFailed):
        load_cached(directory, cache, {"acme"})
    (directory / "customers" / "gamma.yaml").unlink()
    assert load_cached(directory, cache, {"acme"}).scoped


def test_a_damaged_verdict_or_entry_only_costs_the_whole_check(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(two_customers(docs))
    cache = tmp_path / "cache"
    whole = load_cached(directory, cache).state
    (verdict,) = verdicts(cache)
    verdict.write_text('{"customers": 1}')
    assert load_cached(directory, cache, {"acme"}) == load_cached(directory, cache)
    verdict.unlink()
    load_cached(directory, cache)
    for entry in cache.glob("??/*.pack"):
        entry.write_text("[")
    loaded = load_cached(directory, cache, {"acme"})
    assert not loaded.scoped
    assert loaded.state == whole


def test_without_a_cache_it_is_load_desired(write: Callable[[Docs], Path], docs: Docs) -> None:
    directory = write(docs)
    loaded = load_cached(directory, None, {"acme"})
    assert loaded.state == load_desired(directory)
    assert not loaded.scoped


def test_the_default_cache_is_inside_the_git_directory(tmp_path: Path) -> None:
    assert default_cache(tmp_path) is None
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "estate").mkdir()
    assert default_cache(tmp_path / "repo" / "estate") == tmp_path / "repo" / ".git" / (
        "reconciler-cache"
    )
    (tmp_path / "tree" / "estate").mkdir(parents=True)
    (tmp_path / "tree" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/tree\n")
    assert default_cache(tmp_path / "tree" / "estate") == Path(
        "/elsewhere/.git/worktrees/tree/reconciler-cache"
    )


def test_changed_since_on_a_verdict_finds_the_customers_the_loaded_state_finds(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(two_customers(docs))
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "PATH": os.environ["PATH"],
    }
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "estate"]):
        subprocess.run(["git", "-C", str(directory), *step], check=True, env=env)
    beta = directory / "customers" / "beta.yaml"
    beta.write_text(beta.read_text().replace("Beta Corp", "Beta Corporation"))
    cache = tmp_path / "cache"
    whole = load_cached(directory, cache, None, "HEAD")  # no verdict: everything checked
    assert not whole.scoped
    assert whole.scope is None
    expected = customers_changed_since(directory, "HEAD")
    assert expected == {"beta"}
    loaded = load_cached(directory, cache, None, "HEAD")
    assert loaded.scoped
    assert loaded.scope == expected
    assert loaded.state == only(whole.state, "beta")
    # a changed template touches every customer using it
    template = directory / "templates" / "basic.yaml"
    template.write_text(template.read_text() + "description: edited\n")
    load_cached(directory, cache)
    assert load_cached(directory, cache, {"acme"}, "HEAD").scope == {"acme", "beta"}
