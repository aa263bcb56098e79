"""One exception tree for the whole tool.

Errors carry structured fields and format themselves in ``__str__``; they never carry exit
codes (the CLI maps classes to codes in one table) and never carry credentials.

::

    ReconcilerError
    ├── UsageError                 bad options or environment (exit 64)
    ├── ConfigError                the desired-state directory cannot be read
    ├── ValidationFailed(problems) every problem found, each with file:line:col
    ├── ApiError(status, message, error_codes, tracking_id, method, path)
    │   ├── AuthError              401 after any refresh, or 403 (missing scope)
    │   ├── NotFound               404 / 410
    │   ├── Conflict               409
    │   ├── BadRequest             400 and other 4xx
    │   ├── RateLimited            429 / 423 past the Retry-After cap or attempts
    │   ├── ServerError            5xx past the retry budget
    │   ├── TransportFailed        connection errors past the retry budget
    │   ├── OutcomeUnknown         a POST whose result is unknown (never replayed)
    │   └── ReadOnlyViolation      a write attempted through a read-only client
    ├── JobFailed / JobTimeout     asynchronous provisioning ended badly / too slowly
    ├── PlanError                  a plan cannot be computed or read back
    ├── PlanBlocked(reasons)       a safety rule holds (exit 3 unless --force)
    ├── PlanMismatch               the fresh plan is not the reviewed one
    └── ApplyFailed                at least one change failed
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ReconcilerError(Exception):
    """Root of every error the tool raises on purpose."""


class UsageError(ReconcilerError):
    """Bad options, or an environment that names no usable target."""


class ConfigError(ReconcilerError):
    """The desired-state directory cannot be read at all."""


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One validation problem, pointing at a place in a file."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ValidationFailed(ReconcilerError):
    """Every validation problem found, sorted by place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} validation problem(s)")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(eq=False)
class ApiError(ReconcilerError):
    """An API call failed; fields come from the response, never from the request headers."""

    status: int | None
    message: str
    method: str = ""
    path: str = ""
    error_codes: tuple[int, ...] = ()
    tracking_id: str | None = None
    descriptions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        parts = [f"{where}: " if where else ""]
        parts.append(f"HTTP {self.status}: " if self.status else "")
        parts.append(self.message)
        if self.descriptions:
            parts.append(" (" + "; ".join(self.descriptions) + ")")
        if self.error_codes:
            parts.append(" [errorCode " + ", ".join(str(c) for c in self.error_codes) + "]")
        if self.tracking_id:
            parts.append(f" trackingId={self.tracking_id}")
        return "".join(parts)


class AuthError(ApiError):
    """401 (after any token refresh) or 403 (the token lacks a scope)."""


class NotFound(ApiError):
    """404 or 410."""


class Conflict(ApiError):
    """409: the request conflicts with an established rule (e.g. a duplicate key)."""


class BadRequest(ApiError):
    """400 and other 4xx answers that retrying cannot fix."""


class RateLimited(ApiError):
    """429/423 that outlasted the Retry-After cap or the attempt budget."""


class ServerError(ApiError):
    """5xx that outlasted the retry budget."""


class TransportFailed(ApiError):
    """The connection failed (refused, reset, timed out) past the retry budget."""


class OutcomeUnknown(ApiError):
    """A POST whose outcome is unknown; the caller must look the object up by its key."""


class ReadOnlyViolation(ApiError):
    """A write was attempted through a read-only client; nothing was sent."""


class JobFailed(ReconcilerError):
    """Asynchronous provisioning reached a failed status."""


class JobTimeout(ReconcilerError):
    """Asynchronous provisioning did not finish before its deadline."""


class DuplicateFound(ReconcilerError):
    """A create left two live objects under one key (Webex does not enforce it, or another run
    created the same object at the same time)."""


class PlanError(ReconcilerError):
    """A plan cannot be computed, or a saved plan cannot be read back."""


class PlanBlocked(ReconcilerError):
    """A safety rule holds; ``--force`` lifts it."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("plan is blocked:\n" + "\n".join(f"  - {r}" for r in reasons))


class ScopesMissing(ReconcilerError):
    """The token's known scopes lack one the plan writes with; nothing was written."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            "the access token lacks scope(s) this plan writes with; nothing was applied:\n"
            + "\n".join(f"  - {m}" for m in missing)
            + "\ngrant them to the integration and authorise it again"
        )


class PlanMismatch(ReconcilerError):
    """The fresh plan is not the one that was reviewed."""


class ApplyFailed(ReconcilerError):
    """At least one change failed during apply."""
