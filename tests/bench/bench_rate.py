"""Benchmark: ``reconciler apply`` against a served sandbox whose rate limit is below the
client's, with 5xx answers and dropped connections.

Generates an estate of a few hundred changes (``gen_estate.py``), serves the sandbox over
loopback (``reconciler sandbox serve --rate-limit R --fail-rate F --drop-rate D``, an ephemeral
port) and runs ``reconciler apply --yes`` as a real process with the desired state's default
settings (``maxRequestsPerSecond`` 10, ``concurrency`` 8): the client has to find the lower
limit itself. Reports the changes done and failed, duplicates in the sandbox (customers by
externalId, subscribers by email, locations by name, people by email), the requests the
sandbox saw by status, and wall time against 1.3 x (requests / R). Then checks that a fresh
``plan --detailed-exitcode`` shows no changes. Prints figures and one JSON line. Run::

    .venv/bin/python tests/bench/bench_rate.py                        # 25 customers, 250 users
    .venv/bin/python tests/bench/bench_rate.py --customers 10 --users 100 --rate-limit 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

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


def duplicates(dump: dict[str, Any]) -> dict[str, int]:
    """Keys held by more than one object, per kind (0 everywhere when nothing was made twice)."""
    keys = {
        "customers": Counter(c["externalId"] for c in dump["customers"]),
        "subscribers": Counter(s["email"].lower() for s in dump["subscribers"]),
        "locations": Counter((loc["orgId"], loc["name"].lower()) for loc in dump["locations"]),
        "people": Counter(p["emails"][0].lower() for p in dump["people"] if p.get("emails")),
    }
    return {kind: sum(1 for n in counter.values() if n > 1) for kind, counter in keys.items()}


def totals(stdout: str) -> dict[str, int]:
    """The ``total`` row of apply's done / failed / skipped table."""
    for line in stdout.splitlines():
        if line.startswith("total"):
            numbers = [int(n) for n in re.findall(r"\d+", line)]
            return dict(zip(("done", "failed", "skipped"), numbers, strict=False))
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=25)
    parser.add_argument("--users", type=int, default=250)
    parser.add_argument("--rate-limit", type=float, default=5.0)
    parser.add_argument("--fail-rate", type=float, default=0.1)
    parser.add_argument("--drop-rate", type=float, default=0.1)
    parser.add_argument("--provision-seconds", type=float, default=1.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-rate-"))
    estate = work / "estate"
    counts = generate(estate, customers=args.customers, users=args.users, seed=0)
    (estate / "settings.yaml").write_text("kind: Settings\n", encoding="utf-8")  # defaults
    env = {**os.environ, "WEBEX_TOKEN": "sandbox-full", "NO_COLOR": "1"}
    env.pop("RECONCILER_SANDBOX", None)
    options = (
        "--db", str(work / "hub.sqlite"), "--provision-seconds", str(args.provision_seconds),
        "--rate-limit", str(args.rate_limit), "--fail-rate", str(args.fail_rate),
        "--drop-rate", str(args.drop_rate),
    )  # fmt: skip
    with serve_command(*options) as (origin, _):
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
        started = time.perf_counter()
        applied = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        stats = httpx.get(f"{origin}/_sandbox/stats").json()
        dump = httpx.get(f"{origin}/_sandbox/dump").json()
        check = subprocess.run(
            [
                sys.executable, "-m", "reconciler", "plan", str(estate), "--detailed-exitcode",
                "--api-url", f"{origin}/v1",
            ],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    requests = int(stats["total"])
    by_status = {str(k): int(v) for k, v in stats["byStatus"].items()}
    limited = by_status.get("429", 0)
    served = requests - limited
    budget = 1.3 * requests / args.rate_limit
    done = totals(applied.stdout)
    twice = duplicates(dump)
    journal = (work / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    print(
        f"estate: {counts['customers']} customers, {counts['locations']} locations, "
        f"{counts['users']} users; sandbox limit {args.rate_limit:g}/s, fail rate "
        f"{args.fail_rate:g}, drop rate {args.drop_rate:g}; client at its defaults (10/s, 8)"
    )
    print(f"apply exit code  {applied.returncode}")
    print(
        f"changes          {done.get('done', 0)} done, {done.get('failed', 0)} failed, "
        f"{done.get('skipped', 0)} skipped"
    )
    print(f"duplicates       {twice}")
    print(f"requests         {requests} (by status: {dict(sorted(by_status.items()))})")
    print(f"writes journaled {len(journal)}")
    print(f"wall time        {wall:8.1f} s")
    print(f"1.3 x req / R    {budget:8.1f} s   (1.3 x {requests} / {args.rate_limit:g})")
    print(
        f"wall / budget    {wall / budget:8.2f}   (served {served} requests: {served / wall:.2f}/s)"
    )
    print(f"plan afterwards: exit {check.returncode} (0 = no changes)")
    if applied.returncode != 0 or check.returncode != 0:
        print(applied.stdout[-3000:], applied.stderr[-3000:], check.stdout[-2000:], sep="\n")
    print(
        json.dumps(
            {
                "bench": "rate",
                "customers": counts["customers"],
                "locations": counts["locations"],
                "users": counts["users"],
                "rate_limit": args.rate_limit,
                "fail_rate": args.fail_rate,
                "drop_rate": args.drop_rate,
                "changes": done,
                "duplicates": twice,
                "requests": requests,
                "by_status": by_status,
                "wall_s": round(wall, 2),
                "budget_s": round(budget, 2),
                "ratio": round(wall / budget, 3),
                "apply_exit": applied.returncode,
                "plan_exit": check.returncode,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
