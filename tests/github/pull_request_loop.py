"""The pull-request loop on a temporary git repository: a bare origin, pull request branches,
merges, and the apply workflow's steps (find the reviewed plans, plan, check coverage, apply
with the fresh plan's checksum, move the marker) against an in-process sandbox and a fake
GitHub API.

The workflows' own decisions run as they do there: ``reconciler review scope`` for a pull
request's plan and ``reconciler review find`` (over HTTP, against the fake GitHub served on
loopback) for an apply. The apply step is ``plan --out`` + ``reconciler.review.coverage`` +
``apply --checksum``: the decision ``apply --reviewed`` makes in one command, and as safe
(apply refuses unless its fresh plan is the one that was checked).
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner
from fake_github import TOKEN, FakeGitHub, FakePull

from reconciler.cli import cli
from reconciler.merged import artifact_name
from reconciler.plan import Plan
from reconciler.review import Coverage, coverage, describe
from reconciler.reviewed import MARKER

ENV: dict[str, str | None] = {
    "RECONCILER_SANDBOX": None,
    "WEBEX_API_URL": None,
    "WEBEX_TOKEN": None,
    "NO_COLOR": "1",
}
TEMPLATE = """kind: Template
name: suite
provisioningId: cHJvdmlzaW9uaW5nLXN1aXRl
defaults:
  packages: [webex_meetings]
  language: en_GB
  country: GB
  timeZone: Europe/London
"""
SETTINGS = "kind: Settings\nprune: {prune}\nmaxDeletePercent: 50\nmaxUpdatePercent: 50\n"


def customer_yaml(ext: str, users: dict[str, str]) -> str:
    """A meetings-only customer; ``users`` maps a first name to its roles line ('' for none)."""
    lines = [
        "kind: Customer",
        f"externalId: {ext}",
        f"name: {ext.title()} Ltd",
        f"adminEmail: admin@{ext}.example",
        "template: suite",
        "address: {line1: 1 High Street, city: Leeds, postalCode: LS1 1AA, country: GB}",
        "users:",
        f"  - {{email: admin@{ext}.example, firstName: Admin, lastName: One, "
        "package: webex_meetings, roles: [Full Administrator]}",
    ]
    for first, roles in users.items():
        extra = f", roles: [{roles}]" if roles else ""
        lines.append(
            f"  - {{email: {first.lower()}@{ext}.example, firstName: {first}, lastName: Test, "
            f"package: webex_meetings{extra}}}"
        )
    return "\n".join(lines) + "\n"


def outputs(text: str) -> dict[str, str]:
    """``key=value`` lines (what a step appends to ``$GITHUB_OUTPUT``)."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@dataclass
class Found:
    """What ``review find`` answered."""

    code: int
    out: dict[str, str]
    message: str

    @property
    def apply(self) -> bool:
        return self.out.get("apply") == "true"

    @property
    def reviewed(self) -> list[Path]:
        words = self.out.get("args", "").split()
        return [Path(w) for flag, w in itertools.pairwise(words) if flag == "--reviewed"]

    @property
    def scope(self) -> list[str]:
        words = self.out.get("args", "").split()
        return words[:2] if words[:1] == ["--changed-since"] else []

    @property
    def refusals(self) -> list[str]:
        """The lines naming each commit or pull request without a reviewed plan."""
        return [line.strip() for line in self.message.splitlines() if line.startswith("  ")]

    @property
    def pulls(self) -> list[int]:
        return [int(n) for n in self.out.get("pulls", "").split()]


@dataclass
class Outcome:
    """What one apply run did: ``stage`` is where it stopped."""

    stage: str  # "found" (stopped there), "refused", "nothing", "applied", "failed"
    found: Found
    check: Coverage | None = None
    output: str = ""


@dataclass
class Loop:
    root: Path
    gh: FakeGitHub = field(default_factory=FakeGitHub)

    def __post_init__(self) -> None:
        self.origin = self.root / "origin.git"
        self.work = self.root / "work"
        self.db = self.root / "hub.sqlite"
        self.numbers = itertools.count(1)
        self.runs = itertools.count(1)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)], check=True)
        subprocess.run(
            ["git", "clone", "-q", str(self.origin), str(self.work)],
            check=True,
            capture_output=True,
        )
        self.git("config", "user.email", "dev@acme.example")
        self.git("config", "user.name", "Dev")
        self.git("checkout", "-q", "-b", "main")

    @property
    def estate(self) -> Path:
        return self.work / "desired-state"

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.work), *args], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"git {args}: {done.stderr}"
        return done.stdout.strip()

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            path = self.estate / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def reconciler(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, [*args, "--sandbox", str(self.db)], env=ENV)
        assert "Traceback" not in result.stderr, result.stderr
        return result.exit_code, result.stdout + result.stderr

    def review(self, *args: str) -> tuple[int, str, str]:
        """``reconciler review …`` as the workflows run it (GitHub's variables set)."""
        env = ENV | {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": self.gh.repository,
            "GITHUB_API_URL": self.gh.api,
            "GITHUB_REF_NAME": "main",
        }
        result = CliRunner().invoke(cli, ["review", *args], env=env)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result.exit_code, result.stdout, result.stderr

    # -- main, bootstrapped by one full apply (the workflow_dispatch run) ------------------------

    def start(self, customers: dict[str, dict[str, str]], *, prune: bool = False) -> None:
        self.write({"templates.yaml": TEMPLATE, "settings.yaml": SETTINGS.format(prune=prune)})
        self.write({f"customers/{ext}.yaml": customer_yaml(ext, u) for ext, u in customers.items()})
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "Initial estate")
        self.git("push", "-q", "origin", "main")
        code, out = self.reconciler("apply", str(self.estate), "--yes")
        assert code == 0, out
        self.move_marker("HEAD")

    def move_marker(self, ref: str) -> None:
        self.git("tag", "-f", MARKER, ref)
        self.git("push", "-q", "-f", "origin", f"refs/tags/{MARKER}")

    # -- pull requests ---------------------------------------------------------------------------

    def open_pr(self, title: str, files: dict[str, str]) -> FakePull:
        number = next(self.numbers)
        self.git("fetch", "-q", "origin")
        self.git("checkout", "-q", "-b", f"pr-{number}", "origin/main")
        self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", title)
        self.git("push", "-q", "origin", f"pr-{number}")
        pull = FakePull(number, title, self.git("rev-parse", "HEAD"))
        self.gh.pulls[number] = pull
        self.git("checkout", "-q", "main")
        return pull

    def plan_pr(self, pull: FakePull, *, conclusion: str = "success") -> Plan | None:
        """The plan workflow on the pull request's head: scope as plan.yml decides it, the JSON
        plan uploaded as the artifact when the run succeeds."""
        self.git("checkout", "-q", f"pr-{pull.number}")
        try:
            base = self.git("merge-base", "origin/main", "HEAD")
            code, text, _ = self.review("scope", str(self.estate), "--base", base)
            assert code == 0
            decided = outputs(text)
            assert decided["changed"] == "true", "the pull request changes the desired state"
            scope = decided["args"].split()
            out = self.root / f"plan-{pull.number}.json"
            code, _ = self.reconciler("plan", str(self.estate), *scope, "--out", str(out))
        finally:
            self.git("checkout", "-q", "main")
        if conclusion != "success" or code not in (0, 2):
            self.gh.add_run(pull.head_sha, "failure")
            return None
        plan_text = out.read_text(encoding="utf-8")
        self.gh.add_run(pull.head_sha, "success", artifact=(artifact_name(pull.number), plan_text))
        return Plan.from_json(plan_text)

    def merge(self, *pulls: FakePull, push: bool = True) -> str:
        """Merge commits on main, as GitHub's merge button or merge queue makes them."""
        self.git("checkout", "-q", "main")
        for pull in pulls:
            before = self.git("rev-parse", "HEAD")
            self.git(
                "merge", "-q", "--no-ff", f"pr-{pull.number}",
                "-m", f"Merge pull request #{pull.number}",
            )  # fmt: skip
            pull.commits = set(self.git("rev-list", f"{before}..HEAD").split())
            pull.merged = True
        if push:
            self.git("push", "-q", "origin", "main")
        return self.git("rev-parse", "HEAD")

    def direct_push(self, files: dict[str, str], message: str) -> str:
        self.git("checkout", "-q", "main")
        self.write(files)
        self.git("commit", "-q", "-am", message)
        self.git("push", "-q", "origin", "main")
        return self.git("rev-parse", "HEAD")

    # -- the apply workflow ----------------------------------------------------------------------

    def apply_run(self, head: str = "HEAD", *, move_marker: bool = True) -> Outcome:
        """apply.yml on ``head`` (main checked out there)."""
        self.git("checkout", "-q", head if head != "HEAD" else "main")
        run = next(self.runs)
        try:
            out_dir = self.root / f"reviewed-{run}"
            code, text, err = self.review("find", str(self.estate), "--out-dir", str(out_dir))
            found = Found(code, outputs(text), err)
            if not found.apply:
                return Outcome("found", found)
            scope = found.scope
            fresh_file = self.root / f"fresh-{run}.json"
            code, text = self.reconciler("plan", str(self.estate), *scope, "--out", str(fresh_file))
            assert code in (0, 2), text
            fresh = Plan.from_json(fresh_file.read_text(encoding="utf-8"))
            reviewed = [Plan.from_json(f.read_text(encoding="utf-8")) for f in found.reviewed]
            check = coverage(fresh, reviewed)
            if not check.ok:
                return Outcome("refused", found, check, describe(check))
            if check.nothing_to_apply:
                stage, text = "nothing", "nothing left to apply"
            else:
                code, text = self.reconciler(
                    "apply", str(self.estate), "--yes", *scope, "--checksum", fresh.checksum
                )
                stage = "applied" if code == 0 else "failed"
            if stage != "failed" and move_marker:
                self.move_marker(self.git("rev-parse", "HEAD"))
            return Outcome(stage, found, check, text)
        finally:
            self.git("checkout", "-q", "main")

    def converged(self) -> bool:
        code, _ = self.reconciler("plan", str(self.estate), "--detailed-exitcode")
        return code == 0
