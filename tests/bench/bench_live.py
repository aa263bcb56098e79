"""Benchmark: a full live read of a seeded estate through the client and the in-process sandbox.

Seeds C customers × L locations × U users (per customer) with ``POST /_sandbox/seed``, then
times ``read_live`` (full, and scoped to one customer) and the calling reads (``read_calling``:
calling locations and number inventory per calling org, one country) over a read-only client,
and counts the requests the sandbox saw against the formulas in ``reconciler.live``. The
locations are calling locations and every calling user's number is in its location's
inventory. Prints figures and one JSON line. Run::

    .venv/bin/python tests/bench/bench_live.py                      # 2,000 × 2 × 50
    .venv/bin/python tests/bench/bench_live.py --customers 200 --users 20 --latency-ms 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from admin_client import sandbox_admin, sandbox_stats

from reconciler.api import Limiter
from reconciler.live import read_live
from reconciler.live_calling import calling_orgs, read_calling
from reconciler.sandbox import SandboxConfig
from reconciler.workflow.connect import SandboxTarget, open_client


def customer_spec(c: int, locations: int, users: int) -> dict[str, Any]:
    ext = f"bench-{c:06d}"
    return {
        "externalId": ext,
        "name": f"Customer {c}",
        "adminEmail": f"admin@{ext}.example.com",
        "packages": ["webex_calling", "webex_meetings"],
        "address": {"addressLine1": f"{c} Way", "city": "Berlin", "country": "DE"},
        "locations": [{"name": f"Site {n}", "calling": True} for n in range(locations)],
        "subscribers": [
            {
                "email": f"user{u}@{ext}.example.com",
                "package": "webex_calling" if u % 2 else "webex_meetings",
                "firstName": f"F{u}",
                "lastName": f"L{u}",
                **(
                    {
                        "extension": str(1000 + u),
                        "location": "Site 0",
                        "phoneNumber": f"+1{c:06d}{u:04d}",
                    }
                    if u % 2
                    else {}
                ),
            }
            for u in range(users)
        ],
    }


def expected_full(customers: int, locations: int, users: int) -> int:
    """``reconciler.live`` docstring formula for a uniform estate (sandbox customers page 100)."""
    customers_page = 100
    listing = customers // customers_page + 1 + (1 if 0 < customers < customers_page else 0)
    per_org = max(1, math.ceil(locations / 1000)) + max(1, math.ceil((users + 1) / 100))
    rest = (customers * users) // 100 + 1 + 2 if customers else 0  # + /roles, /organizations
    return listing + customers * per_org + rest


def expected_calling(customers: int, locations: int, users: int, countries: int) -> int:
    """``reconciler.live`` calling-read formula: per calling org one calling-locations list
    (page 1000) and one inventory list (page 2000; the calling users' numbers), plus one
    request per distinct country."""
    numbers = users // 2
    per_org = max(1, math.ceil(locations / 1000)) + max(1, math.ceil(numbers / 2000))
    return customers * per_org + countries


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite")
        t0 = time.perf_counter()
        async with open_client(SandboxTarget(db=db), read_only=False) as admin:
            for start in range(0, args.customers, 100):
                batch = range(start, min(args.customers, start + 100))
                body = {"customers": [customer_spec(c, args.locations, args.users) for c in batch]}
                await sandbox_admin(admin, "POST", "/seed", body)
        seed_s = time.perf_counter() - t0

        config = SandboxConfig(db=db, latency_ms=args.latency_ms)
        limiter = Limiter(rate=None, concurrency=args.concurrency)
        async with open_client(
            SandboxTarget(db=db, config=config), read_only=True, limiter=limiter
        ) as reader:
            t1 = time.perf_counter()
            state = await read_live(reader, concurrency=args.concurrency)
            full_s = time.perf_counter() - t1
            full = await sandbox_stats(reader)
            await sandbox_admin(reader, "POST", "/stats/reset")
            t2 = time.perf_counter()
            one = await read_live(reader, customers=["bench-000000"], concurrency=args.concurrency)
            scoped_s = time.perf_counter() - t2
            scoped = await sandbox_stats(reader)
            await sandbox_admin(reader, "POST", "/stats/reset")
            t3 = time.perf_counter()
            calling = await read_calling(reader, calling_orgs(state), ["DE"])
            calling_s = time.perf_counter() - t3
            calling_stats = await sandbox_stats(reader)

    return {
        "benchmark": "live_read",
        "customers": args.customers,
        "locations_per_customer": args.locations,
        "users_per_customer": args.users,
        "latency_ms": args.latency_ms,
        "concurrency": args.concurrency,
        "read": {
            "customers": len(state.customers),
            "locations": len(state.locations),
            "users": len(state.users),
        },
        "seed_seconds": round(seed_s, 3),
        "full_read_seconds": round(full_s, 3),
        "full_read_requests": full["total"],
        "full_read_requests_formula": expected_full(args.customers, args.locations, args.users),
        "full_read_by_route": full["byRoute"],
        "scoped_read_seconds": round(scoped_s, 4),
        "scoped_read_requests": scoped["total"],
        "scoped_customers": len(one.customers),
        "calling_read_seconds": round(calling_s, 3),
        "calling_read_requests": calling_stats["total"],
        "calling_read_requests_formula": expected_calling(
            args.customers, args.locations, args.users, 1
        ),
        "calling_read_by_route": calling_stats["byRoute"],
        "calling_numbers": sum(len(n) for n in calling.numbers.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--locations", type=int, default=2, help="per customer")
    parser.add_argument("--users", type=int, default=50, help="per customer")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="sandbox latency")
    parser.add_argument("--concurrency", type=int, default=8, help="client in-flight cap")
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    users = args.customers * args.users
    print(
        f"estate: {args.customers} customers, {args.customers * args.locations} locations, "
        f"{users} users (seeded in {result['seed_seconds']:.1f} s)"
    )
    print(
        f"full read: {result['full_read_requests']} requests "
        f"(formula {result['full_read_requests_formula']}) in "
        f"{result['full_read_seconds']:.2f} s -> "
        f"{users / max(result['full_read_seconds'], 1e-9):,.0f} users/s"
    )
    for route, count in sorted(result["full_read_by_route"].items()):
        print(f"  {route}: {count}")
    print(
        f"scoped read (1 customer): {result['scoped_read_requests']} requests in "
        f"{result['scoped_read_seconds'] * 1000:.1f} ms"
    )
    print(
        f"calling reads (added by calling): {result['calling_read_requests']} requests "
        f"(formula {result['calling_read_requests_formula']}) in "
        f"{result['calling_read_seconds']:.2f} s, {result['calling_numbers']} numbers"
    )
    for route, count in sorted(result["calling_read_by_route"].items()):
        print(f"  {route}: {count}")
    print(json.dumps(result, sort_keys=True))
    # the formula is the minimum; each offset list may read up to concurrency - 1 empty pages
    least = result["full_read_requests_formula"]
    ok = least <= result["full_read_requests"] <= least + 2 * (args.concurrency - 1)
    ok = ok and result["calling_read_requests"] == result["calling_read_requests_formula"]
    return 0 if ok and result["read"]["users"] == users else 1


if __name__ == "__main__":
    sys.exit(main())
