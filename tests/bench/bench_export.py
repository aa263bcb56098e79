"""Benchmark: ``reconciler export`` of a seeded estate through the in-process sandbox.

Seeds C customers × L locations × U users (per customer) with ``POST /_sandbox/seed``, then
times each phase of an export — the read (``read_estate``: the live read plus one
``GET /organizations``), building the documents, writing the files, and the self-check
(validate + plan of the written directory) — and counts the requests the sandbox saw. Prints
figures and one JSON line. Run::

    /work/venv/bin/python tests/bench/bench_export.py                        # 500 × 2 × 20
    /work/venv/bin/python tests/bench/bench_export.py --customers 2000 --users 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from admin_client import sandbox_admin, sandbox_stats

from reconciler.export import writer
from reconciler.workflow import export
from reconciler.workflow.connect import SandboxTarget, open_client


def customer_spec(c: int, locations: int, users: int) -> dict[str, Any]:
    ext = f"bench-{c:06d}"
    return {
        "externalId": ext,
        "name": f"Customer {c} GmbH",
        "adminEmail": f"admin@{ext}.example.com",
        "packages": ["webex_calling", "webex_meetings"],
        "address": {"addressLine1": f"{c} Way", "city": "Berlin", "country": "DE"},
        "locations": [
            {"name": f"Site {n}", "timeZone": "Europe/Berlin", "calling": n == 0}
            for n in range(locations)
        ],
        "subscribers": [
            {
                "email": f"user{u}@{ext}.example.com",
                "package": "webex_calling",
                "firstName": f"F{u}",
                "lastName": f"L{u}",
                "extension": str(1000 + u),
                "location": f"Site {u % locations}",
            }
            for u in range(users)
        ],
    }


async def run(args: argparse.Namespace, db: Path, out: Path) -> dict[str, Any]:
    target = SandboxTarget(db=str(db))
    async with open_client(target, read_only=False) as client:
        body = {
            "customers": [
                customer_spec(c, args.locations, args.users) for c in range(args.customers)
            ]
        }
        await sandbox_admin(client, "POST", "/seed", body)
    figures: dict[str, Any] = {}
    async with open_client(target, read_only=True) as client:
        start = time.perf_counter()
        live, people, orgs = await export.read_estate(client)
        figures["read_s"] = time.perf_counter() - start
        stats = await sandbox_stats(client)
    start = time.perf_counter()
    result = export.build_export(live, people, orgs)
    figures["build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    writer.prepare(out, force=False)
    written = writer.write_documents(out, result.documents)
    figures["write_s"] = time.perf_counter() - start
    start = time.perf_counter()
    left = export.self_check(out, result)
    figures["check_s"] = time.perf_counter() - start
    figures.update(
        requests=stats["total"],
        by_route=stats["byRoute"],
        files=len(written),
        bytes=sum(p.stat().st_size for p in written),
        counts=result.counts,
        left_after_export=len(left),
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--locations", type=int, default=2)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(run(args, Path(tmp) / "bench.sqlite", Path(tmp) / "out"))
    counts = figures["counts"]
    print(
        f"export of {counts['customers']} customers, {counts['locations']} locations, "
        f"{counts['users']} users: {figures['requests']} requests, {figures['files']} files "
        f"({figures['bytes'] / 1e6:.1f} MB)"
    )
    print(
        f"  read {figures['read_s']:.2f}s  build {figures['build_s']:.2f}s  "
        f"write {figures['write_s']:.2f}s  self-check {figures['check_s']:.2f}s  "
        f"(left for plan: {figures['left_after_export']})"
    )
    print(json.dumps({k: v for k, v in figures.items() if k != "by_route"}, sort_keys=True))


if __name__ == "__main__":
    main()
