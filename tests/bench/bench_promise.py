"""Long run of the promise property (``tests/apply/test_promise_property.py`` runs it bounded):
hypothesis generates valid estates and edit sequences (adds, package changes, moves, location
and customer renames, tombstones, prune, extensions taken, roles), each applied to the
in-process sandbox through the CLI on a fake clock. Prints the estates, edits, applies, 4xx answers
to writes, second applies needed and blocked plans skipped, then one JSON line; exits 1 on any
problem. Run::

    .venv/bin/python tests/bench/bench_promise.py --examples 40 --steps 6
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apply"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from promise_estates import Doc, Figures, edits, estates, run_example


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--steps", type=int, default=6, help="most edits per estate")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    total = Figures(estates=0)
    problems: list[str] = []

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=("generate",),  # every example counted once: no shrinking passes
        suppress_health_check=list(HealthCheck),
    )
    @given(docs=estates(), steps=st.lists(edits, min_size=1, max_size=args.steps))
    def one(docs: list[Doc], steps: list[Any]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run_example(Path(tmp), docs, steps)
        for name in ("estates", "edits", "applies", "client_errors", "second_applies", "blocked"):
            setattr(total, name, getattr(total, name) + getattr(figures, name))
        problems.extend(figures.problems)

    started = time.perf_counter()
    seed(args.seed)(one)()
    wall = time.perf_counter() - started
    print(
        f"estates {total.estates}, edits {total.edits}, applies {total.applies}, "
        f"4xx seen {total.client_errors}, second applies needed {total.second_applies}, "
        f"blocked plans skipped {total.blocked}  ({wall:.0f} s)"
    )
    for problem in problems[:20]:
        print("  problem:", problem)
    print(json.dumps({"bench": "promise", **total.as_dict(), "problems": len(problems)}))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
