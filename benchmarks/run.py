"""One benchmark of the whole tool against a served sandbox: validate, plan, apply.

Generates an estate (``benchmarks/estate.py``), writes it as YAML into a temporary git
repository, seeds a served sandbox (``reconciler sandbox serve`` on a free loopback port) to
match it with ``--drift`` of its users changed, and runs the CLI as child processes, each
measured on its own (wall time, the requests the sandbox counted, user + system CPU time and
peak RSS of the child from ``wait4``):

1. ``validate`` of the directory (no network);
2. a full ``plan``;
3. ``plan --customer`` of one customer;
4. ``plan --changed-since HEAD`` after editing two customers' files (then reverted), and
   the same after a ``validate`` of the edited directory, as a pull request's job runs them
   (``plan_changed_since_validated``: the cache's verdict then spares the plan the rest);
5. ``apply`` of the drift (the sandbox restarted with ``--rate-limit``, the client's
   ``maxRequestsPerSecond`` set to the same);
6. a cold ``apply --customer …`` of ``--new-customers`` customers with their users.

For each phase ``min_requests`` is the least the work needs: the reads of the
``reconciler.live`` formula (the calling-locations list and number inventory of each calling
org, one configuration per distinct country of a planned location change), plus for an apply
one write per drifted object (the journal's writes for new customers) and, for new customers,
one status read each once provisioned. ``floor_seconds`` is
the time those requests need at best: ``min_requests × latency ÷ concurrency`` (plus two
dependent round trips for a read), or ``min_requests ÷ rate`` where a rate limit applies,
and for new customers the provisioning time before anything that needs the org. Run::

    python benchmarks/run.py --customers 200 --users 10000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
import estate  # noqa: E402
from served import serve_command  # noqa: E402

PHASES = (
    "validate",
    "plan",
    "plan_customer",
    "plan_changed_since",
    "plan_changed_since_validated",
    "apply_drift",
    "apply_cold",
)
FIELDS = ("seconds", "requests", "min_requests", "floor_seconds", "cpu_seconds", "peak_rss_mb")
#: The client's rate for the read phases: the schema's maximum, so that only latency binds.
READ_RATE = 1000


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--locations-per-customer", type=int, default=2)
    p.add_argument("--users", type=int, default=10_000, help="in all")
    p.add_argument("--drift", type=float, default=0.01, help="share of users changed live")
    p.add_argument("--latency-ms", type=float, default=20.0, help="sandbox latency per request")
    p.add_argument("--rate-limit", type=float, default=100.0, help="requests/s in the applies")
    p.add_argument("--provision-seconds", type=float, default=2.0)
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    p.add_argument("--new-customers", type=int, default=5, help="for the cold apply (≤ 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    p.add_argument(
        "--profile", type=Path, metavar="DIR", help="run each phase under cProfile into DIR"
    )
    args = p.parse_args(argv)
    if args.customers < 2 or args.locations_per_customer < 1 or args.users < 0:
        p.error("at least 2 customers and 1 location per customer")
    if not 1 <= args.new_customers <= estate.SCOPED_LOOKUP_MAX:
        p.error(f"--new-customers must be between 1 and {estate.SCOPED_LOOKUP_MAX}")
    if not 0 <= args.drift <= 1 or args.concurrency < 1 or args.rate_limit <= 0:
        p.error("--drift in [0, 1], --concurrency ≥ 1, --rate-limit > 0")
    return args


def settings(concurrency: int, rate: float) -> str:
    return f"kind: Settings\nconcurrency: {concurrency}\nmaxRequestsPerSecond: {rate:g}\n"


def measure(command: list[str], env: dict[str, str], out: Path) -> dict[str, Any]:
    """Run ``command``; its exit code, wall seconds, CPU seconds and peak RSS (MiB)."""
    started = time.perf_counter()
    with out.open("w") as stdout, out.with_suffix(".err").open("w") as stderr:
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)  # noqa: S603
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit_code": child.returncode,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
    }


class Bench:
    """The working directory, the sandbox and the CLI runs of one benchmark."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.repo = work / "repo"
        self.dir = self.repo / "estate"
        self.db = work / "hub.sqlite"
        self.shape = estate.Shape(args.customers, args.locations_per_customer, args.users)
        self.env = {**os.environ, "WEBEX_TOKEN": "sandbox-full", "NO_COLOR": "1"}
        for name in ("RECONCILER_SANDBOX", "WEBEX_API_URL", "GITHUB_ACTIONS"):
            self.env.pop(name, None)
        self.origin = ""
        self.phases: dict[str, dict[str, Any]] = {}

    def git(self, *args: str) -> None:
        git = ["git", "-C", str(self.repo), *args]
        subprocess.run(git, check=True, capture_output=True)  # noqa: S603

    def prepare(self) -> None:
        """Write the estate into a new git repository and commit it."""
        a = self.args
        estate.write_yaml(self.dir, self.shape, settings(a.concurrency, READ_RATE))
        self.git("init", "-q", "-b", "main")
        self.git("add", "-A")
        self.git("-c", "user.name=bench", "-c", "user.email=bench@example.com",
                 "commit", "-q", "-m", "estate")  # fmt: skip

    def server_cpu(self) -> float | None:
        """CPU seconds the sandbox process has used (Linux ``/proc``; None elsewhere)."""
        try:
            pids = Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()
            total = 0.0
            for pid in pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None
        return total

    def serve(self, rate: float | None) -> AbstractContextManager[tuple[str, str]]:
        a = self.args
        options = ["--db", str(self.db), "--latency-ms", f"{a.latency_ms:g}"]
        options += ["--provision-seconds", f"{a.provision_seconds:g}"]
        if rate:
            options += ["--rate-limit", f"{rate:g}"]
        return serve_command(*options)

    def seed(self) -> int:
        admin = f"{self.origin}/_sandbox"
        body = {"name": "calling", "provisioningId": estate.PROVISIONING_ID}
        httpx.post(f"{admin}/templates", json=body).raise_for_status()
        count = 0
        for body, drifted in estate.seed_bodies(self.shape, self.args.drift):
            httpx.post(f"{admin}/seed", json=body, timeout=300).raise_for_status()
            count += drifted
        return count

    def stats(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.origin}/_sandbox/stats")
        answer.raise_for_status()
        return dict(answer.json())

    def cli(self, phase: str, *args: str, rest: float = 0.0) -> dict[str, Any]:
        """Run ``reconciler ARGS`` as phase ``phase``; record its figures."""
        if self.origin:
            httpx.post(f"{self.origin}/_sandbox/stats/reset").raise_for_status()
            args = (*args, "--api-url", f"{self.origin}/v1")
        server = self.server_cpu() if self.origin else None
        command = [sys.executable, "-m", "reconciler", *args]
        if self.args.profile:
            self.args.profile.mkdir(parents=True, exist_ok=True)
            profile = self.args.profile / f"{phase}.prof"
            command[1:1] = ["-m", "cProfile", "-o", str(profile)]
        result = measure(command, self.env, self.work / f"{phase}.out")
        result["requests"] = int(self.stats()["total"]) if self.origin else 0
        after = self.server_cpu() if self.origin else None
        # the sandbox's own CPU in the phase: on a loaded machine it competes with the client
        result["server_cpu_seconds"] = (
            round(after - server, 3) if after is not None and server is not None else None
        )
        self.phases[phase] = result
        return result

    def read_floor(self, requests: int) -> float:
        a = self.args
        if not requests:
            return 0.0
        latency = a.latency_ms / 1000
        return max(requests * latency / a.concurrency, requests / READ_RATE) + 2 * latency

    def write_floor(self, requests: int, after_org: int = 0) -> float:
        """``requests`` at the rate limit or the latency bound, whichever binds; ``after_org``
        of them wait for the provisioning."""
        a = self.args
        bound = max(requests / a.rate_limit, requests * a.latency_ms / 1000 / a.concurrency)
        if after_org:
            bound = max(bound, a.provision_seconds + after_org / a.rate_limit)
        return bound

    def scoped_reads(self, numbers: list[int]) -> int:
        """The reads of a plan of customers ``numbers``: theirs, their calling reads, and a
        country configuration when one of their locations drifted."""
        shape, drift = self.shape, self.args.drift
        moved = any(
            estate.drifted(c, estate.LOCATION_DRIFT + n, drift)
            for c in numbers
            for n in range(shape.locations)
        )
        calling = estate.calling_read_requests(shape, numbers)
        return estate.scoped_read_requests(shape, numbers) + calling + (1 if moved else 0)

    def journal(self, name: str) -> int:
        path = self.work / name
        return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0

    def run(self) -> dict[str, Any]:
        a, shape, work = self.args, self.shape, self.work
        d = str(self.dir)
        self.prepare()
        with self.serve(None) as (origin, _):
            self.origin = origin
            started = time.perf_counter()
            drifted = self.seed()
            seed_seconds = time.perf_counter() - started
            self.origin = ""
            self.cli("validate", "validate", d)
            self.phases["validate"].update(min_requests=0, floor_seconds=0.0)
            self.origin = origin

            drift = a.drift
            full = estate.full_read_requests(shape) + estate.calling_read_requests(shape)
            full += estate.country_reads(shape, drift)
            self.cli("plan", "plan", d, "--format", "json", "--force")
            self.phases["plan"].update(min_requests=full, floor_seconds=self.read_floor(full))
            self.phases["plan"]["changes"] = _changes(work / "plan.out")

            one = self.scoped_reads([a.customers // 2])
            ext = estate.external_id(a.customers // 2)
            self.cli("plan_customer", "plan", d, "--customer", ext, "--format", "json")
            self.phases["plan_customer"].update(
                min_requests=one, floor_seconds=self.read_floor(one)
            )

            edited = [0, a.customers - 1]
            for c in edited:  # one user's last name each
                path = estate.customer_file(self.dir, c)
                edit = 'lastName: "Edited"'
                text = re.sub(r'lastName: "[^"]*"', edit, path.read_text(), count=1)
                path.write_text(text, encoding="utf-8")
            two = self.scoped_reads(edited)
            self.cli("plan_changed_since", "plan", d, "--changed-since", "HEAD", "--format", "json",
                     "--force")  # fmt: skip
            self.phases["plan_changed_since"].update(
                min_requests=two, floor_seconds=self.read_floor(two)
            )
            self.phases["plan_changed_since"]["changes"] = _changes(work / "plan_changed_since.out")
            # as in a pull request's job: validate first (not timed), then the same plan
            self.origin = ""
            self.cli("validate_edited", "validate", d)
            self.phases.pop("validate_edited")
            self.origin = origin
            name = "plan_changed_since_validated"
            self.cli(name, "plan", d, "--changed-since", "HEAD", "--format", "json", "--force")
            self.phases[name].update(min_requests=two, floor_seconds=self.read_floor(two))
            self.phases[name]["changes"] = _changes(work / f"{name}.out")
            self.git("checkout", "-q", "--", ".")
        self.origin = ""

        (self.dir / "settings.yaml").write_text(settings(a.concurrency, a.rate_limit))
        new = estate.Shape(
            a.new_customers,
            a.locations_per_customer,
            a.new_customers * (a.users // a.customers),
            first=a.customers,
        )
        with self.serve(a.rate_limit) as (origin, _):
            self.origin = origin
            self.cli("apply_drift", "apply", d, "--yes", "--journal", str(work / "drift.jsonl"))
            writes = self.journal("drift.jsonl")
            minimal = full + drifted
            self.phases["apply_drift"].update(
                min_requests=minimal, floor_seconds=self.write_floor(minimal), writes=writes
            )
            estate.write_yaml(self.dir, new, numbers=False)
            scope = [arg for c in new.numbers() for arg in ("--customer", estate.external_id(c))]
            self.cli("apply_cold", "apply", d, *scope, "--yes",
                     "--journal", str(work / "cold.jsonl"))  # fmt: skip
            writes = self.journal("cold.jsonl")
            # a lookup per customer, every write, a status read per customer once provisioned,
            # the configuration of the country of the new locations
            minimal = 2 * a.new_customers + writes + len(estate.COUNTRIES)
            self.phases["apply_cold"].update(
                min_requests=minimal,
                floor_seconds=self.write_floor(minimal, after_org=minimal - 2 * a.new_customers),
                writes=writes,
            )
        for figures in self.phases.values():
            figures["floor_seconds"] = round(figures["floor_seconds"], 3)
        return {
            "estate": {
                "customers": a.customers,
                "locations": a.customers * a.locations_per_customer,
                "users": a.users,
                "drifted_users": drifted - estate.drifted_locations(shape, a.drift),
                "drifted_locations": estate.drifted_locations(shape, a.drift),
                "new_customers": a.new_customers,
                "new_users": new.users,
            },
            "options": {
                "latency_ms": a.latency_ms,
                "concurrency": a.concurrency,
                "rate_limit": a.rate_limit,
                "provision_seconds": a.provision_seconds,
            },
            "seed_seconds": round(seed_seconds, 2),
            "phases": self.phases,
        }


def _changes(path: Path) -> int | None:
    try:
        return len(json.loads(path.read_text(encoding="utf-8"))["changes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def show(result: dict[str, Any]) -> str:
    lines = [
        "{customers} customers, {locations} locations, {users} users, {drifted_users} users and "
        "{drifted_locations} locations drifted; "
        "cold apply of {new_customers} customers / {new_users} users".format(**result["estate"]),
        f"{'phase':20} {'exit':>4} {'seconds':>8} {'floor':>8} {'requests':>8} {'min':>8} "
        f"{'cpu s':>7} {'MiB':>7} {'server cpu s':>12}",
    ]
    for name, f in result["phases"].items():
        lines.append(
            f"{name:20} {f['exit_code']:>4} {f['seconds']:>8.2f} {f['floor_seconds']:>8.2f} "
            f"{f['requests']:>8} {f['min_requests']:>8} {f['cpu_seconds']:>7.2f} "
            f"{f['peak_rss_mb']:>7.1f} {f['server_cpu_seconds'] or 0:>12.2f}"
        )
    lines.append("load average: {}".format(" ".join(f"{x:.2f}" for x in result["load_average"])))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="reconciler-bench-"))
    try:
        before = os.getloadavg()
        result = Bench(args, work).run()
        after = os.getloadavg()
        result["load_average"] = [round(x, 2) for x in (before[0], after[0], after[1])]
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2) if args.json else show(result))
    failed = [n for n, f in result["phases"].items() if f["exit_code"] not in (0, 2)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
