"""The few GitHub REST calls the apply workflow needs, as plain facts for ``reconciler.merged``.

IO at the edge: one ``httpx.Client`` (a transport may be injected, for tests). Reads only:
the pull requests merged with a commit, the plan workflow's runs on a head commit and their
artifacts, and an artifact's zip. The token goes in the ``Authorization`` header and nowhere
else: httpx drops that header when GitHub redirects an artifact download to its storage host,
and no message here includes a header or a URL query.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx

from reconciler.errors import ConfigError
from reconciler.merged import Artifact, PlanRun, Pull

API_URL = "https://api.github.com"
#: An artifact holds one small JSON plan; refuse anything far bigger than a plan can be.
MAX_ARTIFACT_BYTES = 256 * 1024 * 1024
PER_PAGE = 100


class GitHubError(ConfigError):
    """GitHub did not answer as expected (the message says which call, and the status)."""


class GitHub:
    """Read-only client for one repository (``owner/name``)."""

    def __init__(
        self,
        repository: str,
        token: str,
        *,
        api_url: str = API_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise ConfigError(f"not a repository name (owner/name): {repository!r}")
        self.repository = repository
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, **params: str | int) -> httpx.Response:
        what = f"GET {path}"
        try:
            response = self.http.get(f"/repos/{self.repository}{path}", params=params)
        except httpx.HTTPError as exc:
            raise GitHubError(f"GitHub {what}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise GitHubError(f"GitHub {what} answered {response.status_code}{_why(response)}")
        return response

    def _json(self, path: str, **params: str | int) -> Any:
        response = self._get(path, **params)
        try:
            return response.json()
        except ValueError as exc:
            raise GitHubError(f"GitHub GET {path} answered something other than JSON") from exc

    def merged_pulls(self, sha: str, branch: str) -> list[Pull]:
        """Pull requests merged into ``branch`` that GitHub associates with commit ``sha``."""
        data = self._json(f"/commits/{sha}/pulls", per_page=PER_PAGE)
        try:
            return [
                Pull(int(p["number"]), str(p["head"]["sha"]), str(p.get("title") or ""))
                for p in data
                if p.get("merged_at") and p["base"]["ref"] == branch
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise GitHubError(f"GitHub commits/{sha[:7]}/pulls: unexpected answer ({exc})") from exc

    def plan_runs(self, head_sha: str, workflow: str) -> list[PlanRun]:
        """Runs of ``workflow`` (its file name, e.g. ``plan.yml``) on ``head_sha``, each with
        its artifacts."""
        data = self._json(
            f"/actions/workflows/{workflow}/runs", head_sha=head_sha, per_page=PER_PAGE
        )
        try:
            runs = data["workflow_runs"]
            return [
                PlanRun(
                    id=int(r["id"]),
                    head_sha=str(r["head_sha"]),
                    event=str(r["event"]),
                    conclusion=r.get("conclusion"),
                    head_repository=str((r.get("head_repository") or {}).get("full_name", "")),
                    url=str(r.get("html_url") or ""),
                    artifacts=self.artifacts(int(r["id"])) if r.get("conclusion") else (),
                )
                for r in runs
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise GitHubError(f"GitHub runs of {workflow}: unexpected answer ({exc})") from exc

    def artifacts(self, run_id: int) -> tuple[Artifact, ...]:
        data = self._json(f"/actions/runs/{run_id}/artifacts", per_page=PER_PAGE)
        return tuple(
            Artifact(int(a["id"]), str(a["name"]), bool(a.get("expired")))
            for a in data["artifacts"]
        )

    def download_plan(self, artifact_id: int, member: str = "plan.json") -> str:
        """The text of ``member`` in the artifact's zip."""
        response = self._get(f"/actions/artifacts/{artifact_id}/zip")
        if len(response.content) > MAX_ARTIFACT_BYTES:
            raise GitHubError(f"artifact {artifact_id} is larger than a plan can be")
        try:
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                info = archive.getinfo(member)
                if info.file_size > MAX_ARTIFACT_BYTES:
                    raise GitHubError(f"artifact {artifact_id}: {member} is too large")
                return archive.read(info).decode("utf-8")
        except KeyError as exc:
            raise GitHubError(f"artifact {artifact_id} holds no {member}") from exc
        except (zipfile.BadZipFile, UnicodeDecodeError) as exc:
            raise GitHubError(f"artifact {artifact_id} is not a zip of a JSON plan") from exc


def _why(response: httpx.Response) -> str:
    """GitHub's own one-line message, when it sent one."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {str(message)[:200]}" if message else ""
