"""A store file the sandbox cannot use is one typed error naming the file, and stays untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reconciler.sandbox import SandboxConfig, StoreUnusable, create_app
from reconciler.sandbox.store import Store


def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("customers: [acme]\n" * 40)
    before = path.read_bytes()
    with pytest.raises(StoreUnusable) as caught:
        Store(str(path), 0)
    assert str(caught.value) == (
        f"{path}: not a SQLite database (give the sandbox a new file, or one it made)"
    )
    assert caught.value.path == str(path)
    assert caught.value.__cause__ is None  # no SQLite traceback chained to it
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]


def test_create_app_raises_it_too(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite"
    path.write_bytes(b"\x00\x01 not a database at all " * 100)
    with pytest.raises(StoreUnusable, match="not a SQLite database"):
        create_app(SandboxConfig(db=str(path)))


def test_a_directory_or_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreUnusable, match="cannot be opened as a SQLite database"):
        Store(str(tmp_path), 0)
    with pytest.raises(StoreUnusable, match="cannot be opened as a SQLite database"):
        Store(str(tmp_path / "missing" / "hub.sqlite"), 0)


def test_a_sqlite_file_with_other_tables_of_the_same_names(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id TEXT PRIMARY KEY, title TEXT)")
    with pytest.raises(StoreUnusable, match=r"not a sandbox database: no such column"):
        Store(str(path), 0)


def test_a_file_it_made_opens_again(tmp_path: Path) -> None:
    path = str(tmp_path / "hub.sqlite")
    store = Store(path, 0)
    store.mint("PEOPLE")
    store.commit()
    store.close()
    again = Store(path, 0)
    assert again.counter == 1
    again.close()
