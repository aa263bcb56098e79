"""Files made to exhaust or trick the loader: each one a FILE:LINE problem from ``validate``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.desired import files

CUSTOMER = """\
kind: Customer
externalId: acme
name: Acme
adminEmail: admin@acme.example.com
template: standard
address: {line1: 1 Main St, city: Austin, state: TX, postalCode: "78701", country: US}
"""
SECRET = "SECRET-CONTENT-d41d8c"


def validate(directory: Path) -> Result:
    return CliRunner().invoke(cli, ["validate", str(directory)], env={"GITHUB_ACTIONS": "false"})


def problem_lines(result: Result, name: str) -> list[str]:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if name in line]


def test_alias_bomb_is_a_problem_at_its_line(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    bomb = "kind: Customer\nexternalId: bomb\n" + "\n".join(levels) + "\n"
    assert len(bomb) < 1100  # a 1 KB file; fully expanded it holds 10^10 values
    (tmp_path / "bomb.yaml").write_text(bomb)
    lines = problem_lines(validate(tmp_path), "bomb.yaml")
    assert len(lines) == 1
    assert "aliases expand to more than 100,000 values" in lines[0]
    assert lines[0].startswith(f"{tmp_path / 'bomb.yaml'}:")


def test_aliases_within_the_bound_are_read(tmp_path: Path) -> None:
    text = CUSTOMER.replace("address: {", "address: &hq {") + "locations:\n"
    text += "".join(f"  - {{name: L{i}, address: *hq}}\n" for i in range(50))
    (tmp_path / "acme.yaml").write_text(text)
    result = validate(tmp_path)
    assert "aliases expand" not in result.output


def test_deep_nesting_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    lines = ["kind: Customer"] + [" " * i + "a:" for i in range(990)] + [" " * 990 + "x"]
    (tmp_path / "deep.yaml").write_text("\n".join(lines) + "\n")
    found = problem_lines(validate(tmp_path), "deep.yaml")
    assert any("nested deeper than 64 levels" in line for line in found), found


def test_symlink_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    found = problem_lines(validate(tmp_path), "zero.yaml")
    shown = f"{tmp_path / 'zero.yaml'}:1:1"
    assert found == [f"{shown}: a symbolic link that leads outside the directory; not read"]


def test_fifo_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GITHUB_ACTIONS": "false"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'pipe.yaml'}:1:1: a FIFO, not a regular file; not read" in result.stdout


def test_symlink_out_of_the_directory_is_refused_and_its_contents_never_shown(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.yaml").write_text(f"kind: Customer\n{SECRET}: [unclosed\n")
    (outside / "more.yaml").write_text(f"{SECRET}: 1\n")
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "acme.yaml").write_text(CUSTOMER)
    (desired / "leak.yaml").symlink_to(outside / "private.yaml")
    (desired / "linked").symlink_to(outside, target_is_directory=True)
    result = validate(desired)
    assert SECRET not in result.output
    assert "private.yaml" not in result.output
    assert "elsewhere" not in result.output
    lines = problem_lines(result, "desired")
    assert f"{desired / 'leak.yaml'}:1:1: a symbolic link that leads outside the directory" in (
        "\n".join(lines)
    )
    assert any(line.startswith(f"{desired / 'linked'}:1:1: a symbolic link") for line in lines)


def test_symlink_inside_the_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "acme.yaml").write_text(CUSTOMER)
    (tmp_path / "alias.yaml").symlink_to(tmp_path / "real" / "acme.yaml")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    result = validate(tmp_path)
    assert "leads outside" not in result.output
    # read twice (the link and the file): the same customer declared twice
    assert "acme" in result.output
    assert f"{tmp_path / 'dangling.yaml'}:1:1: a symbolic link that leads nowhere" in result.output


def test_file_over_the_size_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1 << 20)
    (tmp_path / "big.yaml").write_text(CUSTOMER + "notes: " + "x" * (1 << 20) + "\n")
    found = problem_lines(validate(tmp_path), "big.yaml")
    assert found == [f"{tmp_path / 'big.yaml'}:1:1: larger than 1 MiB; not read"]
