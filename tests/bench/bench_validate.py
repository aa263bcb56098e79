"""Benchmark: validate a generated 2,000-customer / 100,000-user desired-state directory.

Generates the estate with ``gen_estate.generate`` (unless ``--dir`` names one already made),
then validates it in a fresh child process, so peak memory (max RSS) is validation's alone.
Prints the time of each phase, the total, peak memory, and one JSON line. Run::

    /work/venv/bin/python tests/bench/bench_validate.py
    /work/venv/bin/python tests/bench/bench_validate.py --customers 200 --users 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_estate import generate


def measure(directory: Path) -> dict[str, Any]:
    """Validate ``directory`` phase by phase in this process (as ``validate --no-cache``
    does, in one process), then as it does (``check_directory``: the parse shared with
    forked children), with the CPU seconds of both processes."""
    from reconciler.desired import check_directory, schemas
    from reconciler.desired.build import declare
    from reconciler.desired.collector import paused
    from reconciler.desired.resolve import resolve
    from reconciler.desired.yamlio import read_directory

    with paused():
        start = time.perf_counter()
        docs, problems, files = read_directory(directory, schemas.string_fields())
        read = time.perf_counter()
        decls, more = declare(docs)
        declared = time.perf_counter()
        problems.extend(more)
        state = resolve(decls, problems)
        done = time.perf_counter()
    documents = len(docs)
    del docs, decls
    began, cpu = time.perf_counter(), time.process_time()
    check_directory(directory)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    whole = {
        "check_directory_s": round(time.perf_counter() - began, 2),
        "check_directory_cpu_s": round(
            time.process_time() - cpu + children.ru_utime + children.ru_stime, 2
        ),
    }
    return {
        "files": files,
        "documents": documents,
        "customers": len(state.customers),
        "locations": len(state.locations),
        "users": len(state.users),
        "problems": len(problems),
        "read_s": round(read - start, 2),
        "schema_s": round(declared - read, 2),
        "resolve_s": round(done - declared, 2),
        "total_s": round(done - start, 2),
        **whole,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--users", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, help="an estate made earlier (skips generating)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        directory = args.dir or Path(tmp) / "estate"
        if not args.dir:
            began = time.perf_counter()
            generate(directory, args.customers, args.users, args.seed)
            print(f"generated {directory} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(directory)],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(child.stdout)
    print(
        f"validated {result['files']} files, {result['documents']} documents: "
        f"{result['customers']} customers, {result['locations']} locations, "
        f"{result['users']} users, {result['problems']} problems"
    )
    print(
        f"time {result['total_s']} s (read YAML {result['read_s']} s, schemas "
        f"{result['schema_s']} s, resolve and rules {result['resolve_s']} s); "
        f"peak memory {result['peak_rss_mib']} MiB"
    )
    print(
        f"check_directory {result['check_directory_s']} s "
        f"({result['check_directory_cpu_s']} s CPU with its children)"
    )
    print(json.dumps({"benchmark": "validate", **result}))


if __name__ == "__main__":
    main()
