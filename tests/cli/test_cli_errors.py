"""Bad files given to options are one line and an exit code, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from apply_helpers import FakeClock, fake_runtime
from cli_helpers import ESTATE, invoke
from click.testing import CliRunner

from reconciler.cli import cli


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    copy = tmp_path / "estate"
    shutil.copytree(ESTATE, copy)
    return copy


def test_a_journal_in_a_missing_folder_is_a_usage_error_before_anything_is_read(
    estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    db = tmp_path / "sandbox.sqlite"
    journal = tmp_path / "no-such-folder" / "apply.jsonl"
    code, out, err = invoke(
        fake_runtime(clock),
        "apply",
        str(estate),
        "--sandbox",
        str(db),
        "--yes",
        "--journal",
        str(journal),
    )
    assert code == 64
    assert err.strip().splitlines() == [
        f"error: --journal {journal}: cannot open it: folder {journal.parent} does not exist"
    ]
    assert out == ""
    assert not db.exists()


@pytest.mark.parametrize("command", ["plan", "apply", "export"])
def test_a_sandbox_file_that_is_not_sqlite_is_a_usage_error(
    command: str, estate: Path, tmp_path: Path, clock: FakeClock
) -> None:
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("these are notes, not a database\n" * 20, encoding="utf-8")
    before = bogus.read_bytes()
    args = {
        "plan": ["plan", str(estate)],
        "apply": ["apply", str(estate), "--yes"],
        "export": ["export", "--out", str(tmp_path / "out")],
    }[command]
    code, out, err = invoke(fake_runtime(clock), *args, "--sandbox", str(bogus))
    assert code == 64
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: --sandbox {bogus}: not a SQLite database")
    assert bogus.read_bytes() == before


def test_sandbox_serve_on_a_file_that_is_not_sqlite_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("these are notes, not a database\n" * 20, encoding="utf-8")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--db", str(bogus), "--port", "0"])
    assert result.exit_code == 64
    assert result.stderr.strip().splitlines() == [
        f"error: --db {bogus}: not a SQLite database (give the sandbox a new file, or one it made)"
    ]
