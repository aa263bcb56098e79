"""Benchmark: the sandbox served over loopback (``reconciler sandbox serve``, uvicorn).

Seeds 10,000 subscribers (100 customers × 100) through the admin API, then sends 1,000
sequential GETs over one keep-alive connection, round-robin over three reads a client makes:
a subscriber by ID, the subscriber list filtered by email, a person by ID. Prints latency
percentiles and requests per second, then one JSON line.

Run: ``python tests/bench/bench_sandbox.py [--requests 1000] [--subscribers 10000]``
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from served import serve_command

TOKEN = {"Authorization": "Bearer sandbox-full"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def seed(admin: str, subscribers: int) -> dict[str, list[str]]:
    per_customer = 100
    customers = []
    for c in range(max(1, subscribers // per_customer)):
        customers.append(
            {
                "externalId": f"bench{c:04d}",
                "packages": ["webex_calling", "webex_meetings"],
                "address": {"addressLine1": "1 Main St", "city": "Austin", "country": "US"},
                "locations": [{"name": "HQ", "calling": True}],
                "subscribers": [
                    {
                        "email": f"user{s:03d}@bench{c:04d}.example.com",
                        "package": "webex_meetings",
                        "firstName": "User",
                        "lastName": f"{c}-{s}",
                    }
                    for s in range(per_customer)
                ],
            }
        )
    with httpx.Client(timeout=300) as client:
        client.post(f"{admin}/seed", json={"customers": customers}).raise_for_status()
        dump = client.get(f"{admin}/dump").json()
    return {
        "subscribers": [s["id"] for s in dump["subscribers"]],
        "emails": [s["email"] for s in dump["subscribers"]],
        "people": [p["id"] for p in dump["people"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        with serve_command("--db", str(db)) as (root, _):
            started = time.perf_counter()
            ids = seed(f"{root}/_sandbox", args.subscribers)
            seeded = time.perf_counter() - started
            rng = random.Random(0)
            kinds = ("subscriber by id", "subscribers by email", "person by id")
            latencies: dict[str, list[float]] = {k: [] for k in kinds}
            every: list[float] = []
            with httpx.Client(base_url=f"{root}/v1/", headers=TOKEN, timeout=30) as client:
                client.get("roles").raise_for_status()  # connect before timing
                wall = time.perf_counter()
                for n in range(args.requests):
                    kind = kinds[n % 3]
                    if kind == "subscriber by id":
                        path, params = f"wholesale/subscribers/{rng.choice(ids['subscribers'])}", {}
                    elif kind == "subscribers by email":
                        path, params = "wholesale/subscribers", {"email": rng.choice(ids["emails"])}
                    else:
                        path, params = f"people/{rng.choice(ids['people'])}", {}
                    t0 = time.perf_counter()
                    response = client.get(path, params=params)
                    elapsed = time.perf_counter() - t0
                    if response.status_code != 200:
                        print(f"unexpected {response.status_code} for {path}", file=sys.stderr)
                        return 1
                    latencies[kind].append(elapsed)
                    every.append(elapsed)
                wall = time.perf_counter() - wall
    ms = [v * 1000 for v in every]
    figures = {
        "benchmark": "sandbox_served_gets",
        "subscribers": len(ids["subscribers"]),
        "requests": args.requests,
        "seed_seconds": round(seeded, 2),
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p90_ms": round(percentile(ms, 0.90), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "requests_per_second": round(args.requests / wall, 1),
        "p50_ms_by_kind": {
            k: round(percentile([v * 1000 for v in vs], 0.5), 3) for k, vs in latencies.items()
        },
    }
    print(
        f"sandbox over loopback, {figures['subscribers']} subscribers seeded in "
        f"{figures['seed_seconds']} s"
    )
    print(
        f"{args.requests} sequential GETs: p50 {figures['p50_ms']} ms, p90 {figures['p90_ms']}"
        f" ms, p99 {figures['p99_ms']} ms, {figures['requests_per_second']} req/s"
    )
    for kind, value in figures["p50_ms_by_kind"].items():  # type: ignore[union-attr]
        print(f"  {kind}: p50 {value} ms")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
