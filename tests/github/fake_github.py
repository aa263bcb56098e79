"""A fake GitHub REST API (an ``httpx.MockTransport``) holding what the apply workflow reads:
pull requests and the commits GitHub associates with them, plan workflow runs, artifacts (a
download redirects to a storage host, as GitHub's does)."""

from __future__ import annotations

import io
import itertools
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

TOKEN = "ghs-fake-token"
API = "https://api.github.test"
STORAGE = "https://storage.github.test"


@dataclass
class FakePull:
    number: int
    title: str
    head_sha: str
    base: str = "main"
    merged: bool = False
    commits: set[str] = field(default_factory=set)


@dataclass
class FakeRun:
    id: int
    head_sha: str
    conclusion: str | None
    event: str = "pull_request"
    head_repository: str = "acme/estate"
    artifacts: dict[int, tuple[str, bytes]] = field(default_factory=dict)


class FakeGitHub:
    def __init__(self, repository: str = "acme/estate") -> None:
        self.repository = repository
        self.pulls: dict[int, FakePull] = {}
        self.runs: list[FakeRun] = []
        self.ids = itertools.count(1000)
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)
        self.api = API
        self.storage = STORAGE

    def add_run(
        self,
        head_sha: str,
        conclusion: str | None,
        *,
        artifact: tuple[str, str] | None = None,
        head_repository: str | None = None,
        event: str = "pull_request",
    ) -> FakeRun:
        run = FakeRun(
            next(self.ids), head_sha, conclusion, event, head_repository or self.repository
        )
        if artifact is not None:
            name, text = artifact
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr("plan.json", text)
            run.artifacts[next(self.ids)] = (name, buffer.getvalue())
        self.runs.append(run)
        return run

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = request.url
        if str(url).startswith(self.storage):
            # Storage URLs are pre-signed: GitHub's token must not travel there.
            assert "authorization" not in request.headers
            artifact = int(url.path.rsplit("/", 1)[1])
            return httpx.Response(200, content=self.artifact(artifact)[1])
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"message": "Bad credentials"})
        prefix = f"/repos/{self.repository}"
        if request.method != "GET" or not url.path.startswith(prefix):
            return httpx.Response(404, json={"message": "Not Found"})
        path = url.path[len(prefix) :]
        if m := re.fullmatch(r"/commits/([0-9a-f]{40})/pulls", path):
            return httpx.Response(
                200, json=[self.pull_data(p) for p in self.pulls.values() if m[1] in p.commits]
            )
        if m := re.fullmatch(r"/actions/workflows/plan\.yml/runs", path):
            head = url.params.get("head_sha")
            runs = [r for r in self.runs if head is None or r.head_sha == head]
            return httpx.Response(
                200,
                json={"total_count": len(runs), "workflow_runs": [self.run_data(r) for r in runs]},
            )
        if m := re.fullmatch(r"/actions/runs/(\d+)/artifacts", path):
            run = next(r for r in self.runs if r.id == int(m[1]))
            artifacts = [
                {"id": i, "name": name, "expired": False, "size_in_bytes": len(blob)}
                for i, (name, blob) in run.artifacts.items()
            ]
            return httpx.Response(200, json={"total_count": len(artifacts), "artifacts": artifacts})
        if m := re.fullmatch(r"/actions/artifacts/(\d+)/zip", path):
            self.artifact(int(m[1]))
            return httpx.Response(302, headers={"Location": f"{self.storage}/blobs/{m[1]}"})
        return httpx.Response(404, json={"message": "Not Found"})

    def artifact(self, artifact_id: int) -> tuple[str, bytes]:
        for run in self.runs:
            if artifact_id in run.artifacts:
                return run.artifacts[artifact_id]
        raise AssertionError(f"no artifact {artifact_id}")

    def pull_data(self, pull: FakePull) -> dict[str, Any]:
        return {
            "number": pull.number,
            "title": pull.title,
            "state": "closed" if pull.merged else "open",
            "merged_at": "2026-12-01T10:00:00Z" if pull.merged else None,
            "head": {"sha": pull.head_sha, "ref": f"pr-{pull.number}"},
            "base": {"ref": pull.base},
        }

    def run_data(self, run: FakeRun) -> dict[str, Any]:
        return {
            "id": run.id,
            "head_sha": run.head_sha,
            "event": run.event,
            "status": "completed" if run.conclusion else "in_progress",
            "conclusion": run.conclusion,
            "html_url": f"https://github.test/{self.repository}/actions/runs/{run.id}",
            "head_repository": {"full_name": run.head_repository},
        }


@contextmanager
def served(fake: FakeGitHub) -> Iterator[str]:
    """Serve ``fake`` over HTTP on loopback (an ephemeral port); yields its API root. Artifact
    storage answers under ``localhost`` on the same port: another origin than ``127.0.0.1``, as
    GitHub's storage host is another origin than its API."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = self.headers.get("Host", "")
            base = f"http://{host}"
            request = httpx.Request(
                "GET",
                base + self.path,
                headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
            )
            response = fake.handle(request)
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    fake.api = f"http://127.0.0.1:{port}"
    fake.storage = f"http://localhost:{port}/storage"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake.api
    finally:
        server.shutdown()
        server.server_close()
        fake.api, fake.storage = API, STORAGE
