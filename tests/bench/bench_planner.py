"""Planner benchmark: 100,000 users desired vs live with 1% drift, built in memory.

Run: ``python tests/bench/bench_planner.py [--users N] [--per-customer N] [--drift F]``.
Prints wall time of ``planner.plan`` (best of ``--repeat``), the peak memory the planning
allocates (tracemalloc, measured in a separate run), the time to serialise the plan, and one
JSON line with the same figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
import time
import tracemalloc
from dataclasses import replace

from reconciler import planner, render
from reconciler.model import Address, Customer, LiveRef, Location, Settings, State, Template, User


def build(users: int, per_customer: int, drift: float, seed: int) -> tuple[State, State, int]:
    rng = random.Random(seed)
    customers = max(1, users // per_customer)
    template = Template("std", provisioning_id="PID-STD")
    d_cust: dict[str, Customer] = {}
    l_cust: dict[str, Customer] = {}
    d_loc: dict[tuple[str, str], Location] = {}
    l_loc: dict[tuple[str, str], Location] = {}
    d_users: dict[tuple[str, str], User] = {}
    l_users: dict[tuple[str, str], User] = {}
    address = Address("1 Main St", "Springfield", "US", postal_code="62701")
    drifted = 0
    for c in range(customers):
        ext = f"CUST-{c:06d}"
        cust = Customer(
            ext,
            address,
            name=f"Customer {c}",
            admin_email=f"admin@{ext.lower()}.example",
            template="std",
            packages=("webex_calling", "webex_meetings"),
            headquarters="HQ",
        )
        d_cust[ext] = cust
        l_cust[ext] = replace(
            cust,
            name=None,
            admin_email=None,
            template=None,
            headquarters=None,
            live=LiveRef(f"id-{ext}", org_id=f"org-{ext}", status="provisioned"),
        )
        for name in ("HQ", "Branch A", "Branch B"):
            loc = Location(ext, name, address, "America/Chicago", "en_us", "en_us")
            d_loc[loc.key] = loc
            l_loc[loc.key] = replace(loc, live=LiveRef(f"loc-{ext}-{name}", org_id=f"org-{ext}"))
        for u in range(per_customer):
            email = f"user{u:04d}@{ext.lower()}.example"
            user = User(
                ext,
                email,
                first_name=f"First{u}",
                last_name=f"Last{u}",
                package="webex_calling",
                location=("HQ", "Branch A", "Branch B")[u % 3],
                extension=f"{1000 + u}",
            )
            d_users[user.key] = user
            live = replace(user, live=LiveRef(f"sub-{email}", person_id=f"p-{email}"))
            if rng.random() < drift:
                drifted += 1
                kind = rng.randrange(3)
                if kind == 0:
                    live = replace(live, extension=f"{9000 + u}")
                elif kind == 1:
                    live = replace(live, last_name="Changed")
                else:
                    live = replace(live, package="webex_meetings")
            l_users[user.key] = live
    desired = State(
        templates={"std": template},
        customers=d_cust,
        locations=d_loc,
        users=d_users,
        settings=Settings(max_update_percent=30.0),
    )
    live_state = State(customers=l_cust, locations=l_loc, users=l_users)
    return desired, live_state, drifted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--per-customer", type=int, default=100)
    parser.add_argument("--drift", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    desired, live, drifted = build(args.users, args.per_customer, args.drift, args.seed)
    build_s = time.perf_counter() - t0

    times = []
    plan = None
    for _ in range(args.repeat):
        gc.collect()
        t0 = time.perf_counter()
        plan = planner.plan(desired, live)
        times.append(time.perf_counter() - t0)
    assert plan is not None

    gc.collect()
    tracemalloc.start()
    planner.plan(desired, live)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    t0 = time.perf_counter()
    text = plan.to_json()
    json_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    render.text(plan)
    text_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    render.markdown(plan)
    md_s = time.perf_counter() - t0

    s = plan.to_data()["summary"]
    figures = {
        "bench": "planner",
        "customers": len(desired.customers),
        "locations": len(desired.locations),
        "users": len(desired.users),
        "drifted_users": drifted,
        "changes": len(plan.changes),
        "updates": s["update"],
        "blocked": plan.is_blocked,
        "build_s": round(build_s, 3),
        "plan_s_best": round(min(times), 3),
        "plan_s_runs": [round(t, 3) for t in times],
        "plan_peak_mib": round(peak / 2**20, 1),
        "to_json_s": round(json_s, 3),
        "json_bytes": len(text.encode()),
        "render_text_s": round(text_s, 3),
        "render_markdown_s": round(md_s, 3),
        "process_max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": sys.version.split()[0],
    }
    print(
        f"planner: {figures['users']:,} users in {figures['customers']:,} customers "
        f"({figures['locations']:,} locations), {drifted:,} drifted users"
    )
    print(
        f"  plan: best {figures['plan_s_best']} s of {args.repeat} "
        f"({', '.join(str(t) for t in figures['plan_s_runs'])}); "
        f"peak allocated {figures['plan_peak_mib']} MiB; "
        f"process max RSS {figures['process_max_rss_mib']} MiB (both states included)"
    )
    print(
        f"  {figures['changes']:,} changes; to_json {figures['to_json_s']} s "
        f"({figures['json_bytes']:,} bytes); text {figures['render_text_s']} s; "
        f"markdown {figures['render_markdown_s']} s"
    )
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
