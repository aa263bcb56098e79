"""The cache through the commands: ``--cache-dir`` / ``RECONCILER_CACHE_DIR``, ``--no-cache``;
a scoped plan on a warm cache prints what it prints without one, and fails as without one on
a problem in a file outside its scope."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.desired import load_desired

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    base: dict[str, str | None] = {
        "RECONCILER_SANDBOX": None,
        "WEBEX_API_URL": None,
        "WEBEX_TOKEN": None,
        "RECONCILER_CACHE_DIR": None,
    }
    result = CliRunner().invoke(cli, list(args), env={**base, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_a_scoped_plan_on_a_warm_cache_matches_one_without(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    shutil.copytree(ROOT / "desired-state", estate)
    cache = tmp_path / "cache"
    db = str(tmp_path / "hub.sqlite")
    first, second = sorted(load_desired(estate).customers)[:2]
    plan = ("plan", str(estate), "--sandbox", db, "--customer", first, "--format", "json")
    code, expected, err = run(*plan, "--no-cache")
    assert code == 0, err
    assert not cache.exists()
    code, out, err = run("validate", str(estate), "--cache-dir", str(cache))
    assert code == 0, err
    assert list((cache / "verdicts").glob("*.json"))  # validate leaves the verdict
    for _ in range(2):
        code, out, err = run(*plan, env={"RECONCILER_CACHE_DIR": str(cache)})
        assert (code, out) == (0, expected), err
    # a problem in another customer's file fails the scoped plan, at its line
    other = next(p for p in estate.rglob("*.yaml") if f"externalId: {second}" in p.read_text())
    other.write_text(
        other.read_text().replace(f"externalId: {second}", f"externalId: {second}\nbogus: 1", 1)
    )
    code, out, err = run(*plan, "--cache-dir", str(cache))
    assert code == 1
    assert str(other) in err
    assert "bogus" in err
    code, out, err = run("validate", str(estate), "--cache-dir", str(cache))
    assert code == 1
    assert f"{other}:" in out
    assert "bogus" in out
