"""``reconciler validate``: summary wording and GitHub annotation escaping."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.cli.validate import annotation, summary
from reconciler.desired import Checked
from reconciler.errors import Problem
from reconciler.model import State


def test_annotation_escapes_properties_and_data() -> None:
    problem = Problem("dir,a:b/x.yaml", 3, 4, "100% wrong\nsecond line")
    assert annotation(problem) == (
        "::error file=dir%2Ca%3Ab/x.yaml,line=3,col=4::100%25 wrong%0Asecond line"
    )


def test_summary_counts_each_kind_in_singular_or_plural() -> None:
    counts = Counter({"Template": 1, "Customer": 2, "Location": 0, "User": 1, "Settings": 1})
    checked = Checked(State(), [], 1, counts)
    assert summary(Path("estate"), checked) == (
        "estate: valid: 1 template, 2 customers, 0 locations, 1 user, 1 settings (1 file)"
    )


def test_default_directory_is_desired_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "desired-state").mkdir()
    (tmp_path / "desired-state/t.yaml").write_text("kind: Template\nname: t\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("desired-state: valid: 1 template, 0 customers")


def test_a_file_instead_of_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("{}")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "x.yaml")])
    assert result.exit_code == 64
    assert "is a file" in result.stderr
