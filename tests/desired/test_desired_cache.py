"""``check_directory_cached``: the result of ``check_directory``, parsing only what changed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import Docs

from reconciler.desired import Checked, check_directory, packs, parallel
from reconciler.desired.cache import check_directory_cached
from reconciler.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def entries(cache: Path) -> set[Path]:
    """The packs of the cache (entries are kept many to a file)."""
    return set(cache.rglob("*.pack"))


def held(packs: set[Path]) -> int:
    """How many entries ``packs`` hold: their first line is the index."""
    return sum(len(orjson.loads(p.read_bytes().split(b"\n", 1)[0])) for p in packs)


def same(a: Checked, b: Checked) -> None:
    assert a.state == b.state
    assert a.problems == b.problems
    assert (a.files, a.counts) == (b.files, b.counts)
    for key, user in a.state.users.items():  # positions are kept too
        assert user.source == b.state.users[key].source


@pytest.mark.parametrize("estate", ["desired-state", "tests/desired/broken"])
def test_cold_and_warm_give_what_check_directory_gives(estate: str, tmp_path: Path) -> None:
    directory = tmp_path / "estate"
    shutil.copytree(ROOT / estate, directory)
    cache = tmp_path / "cache"
    expected = check_directory(directory)
    same(check_directory_cached(directory, cache), expected)
    written = entries(cache)
    assert written
    same(check_directory_cached(directory, cache), expected)
    assert entries(cache) == written


def test_an_edited_file_is_parsed_again_and_its_problems_found(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(docs)
    cache = tmp_path / "cache"
    check_directory_cached(directory, cache)
    before = entries(cache)
    path = directory / "customers" / "acme.yaml"
    path.write_text(path.read_text().replace("extension: '1001'", "extension: 12x"))
    result = check_directory_cached(directory, cache)
    same(result, check_directory(directory))
    assert result.problems
    assert "extension" in str(result.problems[0])
    assert held(entries(cache) - before) == 1  # the edited file only


def test_a_file_with_parse_problems_or_odd_values_is_never_cached(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    docs["broken.yaml"] = "kind: Template\nname: [unclosed\n"
    docs["dated.yaml"] = "kind: Settings\nconcurrency: 4\nnote: 2024-01-01\n"
    directory = write(docs)
    cache = tmp_path / "cache"
    result = check_directory_cached(directory, cache)
    same(result, check_directory(directory))
    assert {p.file for p in result.problems} >= {str(directory / "broken.yaml")}
    assert held(entries(cache)) == 2  # the template and the customer file


def test_a_damaged_entry_is_ignored(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(docs)
    cache = tmp_path / "cache"
    check_directory_cached(directory, cache)
    for entry in entries(cache):
        entry.write_text('[{"data": 1}]')
    same(check_directory_cached(directory, cache), check_directory(directory))


def test_a_cache_that_cannot_be_written_only_costs_time(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(docs)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    same(check_directory_cached(directory, blocked), check_directory(directory))


def test_a_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        check_directory_cached(tmp_path / "nowhere", tmp_path / "cache")


@pytest.mark.parametrize("estate", ["desired-state", "tests/desired/broken"])
def test_parsing_across_processes_gives_the_same_outcome(
    estate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CHARS", 0)
    if not parallel.workers_for(1):
        pytest.skip("one core, another thread running, or not Linux: parsed in process")
    directory = tmp_path / "estate"
    shutil.copytree(ROOT / estate, directory)
    cache = tmp_path / "cache"
    expected = check_directory(directory)
    same(check_directory_cached(directory, cache), expected)
    assert entries(cache)  # the workers wrote them
    same(check_directory_cached(directory, cache), expected)


def _serial_and_forked(directory: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Checked, Checked]:
    serial = check_directory(directory)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CHARS", 0)
    if parallel.workers_for(1) == 1:
        pytest.skip("one core, another thread running, or not Linux: parsed in process")
    return serial, check_directory(directory)


@pytest.mark.parametrize("estate", ["desired-state", "tests/desired/broken"])
def test_uncached_parsing_across_processes_gives_the_same_outcome(
    estate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "estate"
    shutil.copytree(ROOT / estate, directory)
    serial, forked = _serial_and_forked(directory, monkeypatch)
    same(forked, serial)


def test_a_child_that_dies_costs_only_its_share_parsed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "estate"
    shutil.copytree(ROOT / "desired-state", directory)
    sent: list[int] = []

    def dies(*args: object) -> None:
        os._exit(3)  # in the child only: this process parses its own share with _chunk

    monkeypatch.setattr(parallel, "_sent", dies)
    monkeypatch.setattr(parallel, "_chunk", _counting(parallel._chunk, sent))
    serial, forked = _serial_and_forked(directory, monkeypatch)
    same(forked, serial)
    assert len(sent) == 3  # serial, this process's share, the dead child's share again


def _counting(chunk: Callable[..., Any], calls: list[int]) -> Callable[..., Any]:
    def counted(*args: Any) -> Any:
        calls.append(len(args[0]))
        return chunk(*args)

    return counted


def test_packs_are_merged_when_they_pile_up(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "MAX_PACKS", 2)
    directory = write(docs)
    cache = tmp_path / "cache"
    for i in range(6):  # each run parses one new file: one more pack
        (directory / f"t{i}.yaml").write_text(f"kind: Template\nname: t{i}\n")
        same(check_directory_cached(directory, cache), check_directory(directory))
        assert len(entries(cache)) <= 3
    files = len(list(directory.rglob("*.yaml")))
    assert held(entries(cache)) == files  # what the last runs used, once each
    before = entries(cache)
    same(check_directory_cached(directory, cache), check_directory(directory))
    assert entries(cache) == before


def test_a_damaged_pack_costs_only_a_parse(
    write: Callable[[Docs], Path], docs: Docs, tmp_path: Path
) -> None:
    directory = write(docs)
    cache = tmp_path / "cache"
    check_directory_cached(directory, cache)
    (pack,) = entries(cache)
    index, body = pack.read_bytes().split(b"\n", 1)
    pack.write_bytes(index + b"\n" + body.replace(b'"data"', b'"dat"', 1))
    same(check_directory_cached(directory, cache), check_directory(directory))
    pack.write_bytes(b"not a pack")
    same(check_directory_cached(directory, cache), check_directory(directory))
