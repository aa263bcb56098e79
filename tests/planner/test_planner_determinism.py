"""Identical inputs give a byte-identical plan and checksum: across runs (other hash seeds),
across the order and layout of the YAML files, and across the order of live objects."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from planner_caseload import CASES, load_case, shuffled

from reconciler import planner
from reconciler.desired import load_desired
from reconciler.model import State

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "desired-state"

SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from planner_caseload import load_case
from reconciler import planner
from reconciler.desired import load_desired
from reconciler.model import State
print(planner.plan(load_desired(Path({estate!r})), State()).to_json())
for name in {names!r}:
    _, desired, live = load_case(Path({cases!r}) / (name + ".yaml"))
    print(planner.plan(desired, live).to_json())
"""


def test_plans_are_byte_identical_across_processes_and_hash_seeds() -> None:
    script = SCRIPT.format(
        tests=str(Path(__file__).parent),
        estate=str(ESTATE),
        cases=str(CASES),
        names=[
            "35-mixed-order",
            "12-delete-location-tombstone",
            "02-create-customer-with-calling-hq",
        ],
    )
    outputs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].count("\n") == 4


def relaid(source: Path, target: Path, seed: int) -> None:
    """The same documents under other file names, in other folders, some files merged."""
    rng = random.Random(seed)
    files = sorted(source.rglob("*.yaml"))
    rng.shuffle(files)
    target.mkdir()
    merged: list[str] = []
    for i, path in enumerate(files):
        text = path.read_text()
        if i % 3 == 0:
            merged.append(text)
            continue
        folder = target / rng.choice(["a", "zz", "m/n"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{rng.randrange(10**6):06d}-{i}.yml").write_text(text)
    rng.shuffle(merged)
    (target / "merged.yaml").write_text("\n---\n".join(merged))


def test_plan_is_independent_of_yaml_file_order_and_layout(tmp_path: Path) -> None:
    original = load_desired(ESTATE)
    expected = planner.plan(original, State()).to_json()
    for seed in range(3):
        copy = tmp_path / f"estate-{seed}"
        relaid(ESTATE, copy, seed)
        assert planner.plan(load_desired(copy), State()).to_json() == expected


def test_plan_is_independent_of_live_and_desired_object_order() -> None:
    _, desired, live = load_case(CASES / "35-mixed-order.yaml")
    expected = planner.plan(desired, live)
    for seed in range(10):
        again = planner.plan(shuffled(desired, seed), shuffled(live, 1000 + seed))
        assert again.to_json() == expected.to_json()
        assert again.checksum == expected.checksum


def test_an_unchanged_copy_of_the_estate_plans_identically(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(ESTATE, copy)
    a = planner.plan(load_desired(ESTATE), State())
    b = planner.plan(load_desired(copy), State())
    assert a.to_json() == b.to_json()
