"""Benchmark: ``reconciler apply`` of a whole estate from empty against the served sandbox.

Generates C customers and U users (``gen_estate.py``), serves the sandbox over loopback with
provisioning taking P seconds and a limit of R requests per second (429 + Retry-After beyond
it), sets the desired state's client limit to the same R, runs ``reconciler apply --yes`` as a
real process, and reports wall time, the requests the sandbox saw (by status), and the floor
``max(requests / R, slowest dependency chain)`` where the chain is customer provisioning then a
location then a user. Then checks that a fresh ``plan --detailed-exitcode`` shows no changes.
Prints figures and one JSON line. Run::

    /work/venv/bin/python tests/bench/bench_apply.py                 # 200 customers, 10,000 users
    /work/venv/bin/python tests/bench/bench_apply.py --customers 20 --users 500
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gen_estate import generate
from served import serve_command

TEMPLATES = {
    "calling": "prov-bench-calling",
    "suite": "prov-bench-suite",
    "meetings": "prov-bench-meetings",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--provision-seconds", type=float, default=2.0)
    parser.add_argument("--rate-limit", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=None, help="apply --concurrency")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-apply-"))
    estate = work / "estate"
    counts = generate(estate, customers=args.customers, users=args.users, seed=0)
    (estate / "settings.yaml").write_text(
        f"kind: Settings\nconcurrency: 8\nmaxRequestsPerSecond: {args.rate_limit:g}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "WEBEX_TOKEN": "sandbox-full", "NO_COLOR": "1"}
    env.pop("RECONCILER_SANDBOX", None)
    options = ("--db", str(work / "hub.sqlite"), "--provision-seconds", str(args.provision_seconds))
    with serve_command(*options, "--rate-limit", str(args.rate_limit)) as (origin, _):
        for name, provisioning_id in TEMPLATES.items():
            httpx.post(
                f"{origin}/_sandbox/templates",
                json={"name": name, "provisioningId": provisioning_id},
            ).raise_for_status()
        httpx.post(f"{origin}/_sandbox/stats/reset").raise_for_status()
        command = [
            sys.executable, "-m", "reconciler", "apply", str(estate), "--yes",
            "--api-url", f"{origin}/v1", "--journal", str(work / "journal.jsonl"),
        ]  # fmt: skip
        if args.concurrency:
            command += ["--concurrency", str(args.concurrency)]
        started = time.perf_counter()
        applied = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        stats = httpx.get(f"{origin}/_sandbox/stats").json()
        check = subprocess.run(
            [
                sys.executable, "-m", "reconciler", "plan", str(estate), "--detailed-exitcode",
                "--api-url", f"{origin}/v1",
            ],
            env=env,
            capture_output=True,
            text=True,
        )  # fmt: skip

    requests = int(stats["total"])
    by_status = stats["byStatus"]
    limited = int(by_status.get("429", 0))
    # Customer provisioning, then a location, then a user: three dependent steps, the first
    # waiting for provisioning (the other two are a request or three each).
    chain = args.provision_seconds + 5 / args.rate_limit
    floor = max(requests / args.rate_limit, chain)
    table = applied.stdout.strip().splitlines()[-5:] if applied.stdout else []
    print(f"estate: {counts['customers']} customers, {counts['locations']} locations, "
          f"{counts['users']} users; provisioning {args.provision_seconds:g} s, "
          f"limit {args.rate_limit:g} requests/s")  # fmt: skip
    print(f"apply exit code {applied.returncode}; " + " | ".join(t.strip() for t in table[-1:]))
    print(f"wall time        {wall:8.1f} s")
    writes = len((work / "journal.jsonl").read_text(encoding="utf-8").splitlines())
    print(f"requests         {requests:8d}   (429s: {limited}; writes in journal: {writes})")
    print(f"floor            {floor:8.1f} s   = max({requests} / {args.rate_limit:g}, {chain:.2f})")
    print(f"wall / floor     {wall / floor:8.2f}")
    print(f"plan afterwards: exit {check.returncode} (0 = no changes)")
    if applied.returncode != 0:
        print(applied.stdout[-3000:], applied.stderr[-3000:], sep="\n")
    print(
        json.dumps(
            {
                "bench": "apply",
                "customers": counts["customers"],
                "locations": counts["locations"],
                "users": counts["users"],
                "provision_seconds": args.provision_seconds,
                "rate_limit": args.rate_limit,
                "wall_s": round(wall, 2),
                "requests": requests,
                "status_429": limited,
                "by_route": stats["byRoute"],
                "floor_s": round(floor, 2),
                "ratio": round(wall / floor, 3),
                "writes": writes,
                "apply_exit": applied.returncode,
                "plan_exit": check.returncode,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
