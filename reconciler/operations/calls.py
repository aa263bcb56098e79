"""How the operations call Partner Hub: polling customer jobs, creating exactly once when a
POST's outcome is unknown, and comparing what was read with what is wanted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from reconciler.errors import ApiError, Conflict, OutcomeUnknown, ServerError

T = TypeVar("T")

#: A POST failure after which the object may or may not exist: look it up by its key.
UNCERTAIN = (OutcomeUnknown, Conflict, ServerError)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How apply waits for asynchronous customer provisioning.

    The waits grow by ``factor`` from a short first one, so a job is seen done at most
    ``factor - 1`` of its duration late (25 %: 2.05 s for a 2 s provisioning, where 1.0 × 1.5
    saw it at 2.5 s) for one status read per wait: ~19 for a minute-long job.
    """

    initial: float = 0.25
    factor: float = 1.25
    max_interval: float = 10.0
    #: Real provisioning takes seconds to minutes; a job still running after this is reported
    #: (JobTimeout) and picked up by the next run, which sees it in flight.
    deadline: float = 900.0
    #: How long a location waits for the numbers its PSTN provider supplies once calling is
    #: enabled there (``reconciler.operations.provider``); a user whose number has not
    #: arrived by then fails, unsent, and the next run picks it up.
    numbers_deadline: float = 600.0

    def intervals(self) -> Iterator[float]:
        wait = self.initial
        while True:
            yield wait
            wait = min(wait * self.factor, self.max_interval)


#: How many times a create is POSTed when each answer is lost (the first try included).
CREATE_ATTEMPTS = 6

#: ``pause(n)``: wait before re-sending a create for the ``n``-th time (1-based).
Pause = Callable[[int], Awaitable[None]]


async def _no_pause(retry: int) -> None:
    return None


def pause_of(client: object) -> Pause:
    """The client's own backoff (its ``RetryPolicy`` with its limiter's sleep and jitter) as a
    pause between re-sent creates; no wait for a client without a session (a test fake)."""
    session = getattr(client, "session", None)
    retry, limiter = getattr(session, "retry", None), getattr(session, "limiter", None)
    if retry is None or limiter is None:
        return _no_pause

    async def pause(n: int) -> None:
        await limiter.sleep(retry.backoff(n, limiter.rand))

    return pause


async def create_once(
    post: Callable[[], Awaitable[T]],
    find: Callable[[], Awaitable[T | None]],
    *,
    pause: Pause = _no_pause,
    attempts: int = CREATE_ATTEMPTS,
) -> tuple[T, str]:
    """POST a create whose outcome may be unknown, never making the object twice.

    A POST whose outcome is unknown is never replayed blindly: after each uncertain failure
    (connection lost after sending, 5xx, 409) the object is looked up by its key (``find``)
    and adopted if there; a 409 without it is raised (another conflict); otherwise the POST is
    sent again after ``pause``. This goes on while the server answers the lookups, up to
    ``attempts`` POSTs; a lookup that fails (the server not answering, after the client's own
    retries) is raised, and so is the last uncertain failure once the attempts are spent and a
    final lookup finds nothing. Returns the result and a note for the change's message (empty
    when the first POST answered)."""
    first: ApiError | None = None
    last: ApiError | None = None
    for attempt in range(1, attempts + 1):
        try:
            result = await post()
        except UNCERTAIN as exc:
            first, last = first or exc, exc
            found = await find()
            if found is not None:
                return found, f" (adopted after: {short(first)})"
            if isinstance(exc, Conflict):
                raise exc from None
            if attempt < attempts:
                await pause(attempt)
            continue
        if first is None:
            return result, ""
        tries = "retried once" if attempt == 2 else f"retried {attempt - 1} times"
        return result, f" ({tries} after: {short(first)})"
    assert last is not None
    raise last


def same(a: Any, b: Any) -> bool:
    """Equal as far as the tool manages it: absent, empty and None alike (a full PUT clears
    what it omits), lists as sets, phone numbers by type and value."""
    if isinstance(a, list) or isinstance(b, list):
        return _as_set(a) == _as_set(b)
    return (a or None) == (b or None)


def _as_set(value: Any) -> frozenset[Any]:
    items = value if isinstance(value, list) else []
    return frozenset((i.get("type"), i.get("value")) if isinstance(i, dict) else i for i in items)


def codes(data: Mapping[str, Any]) -> str:
    """`` (code: description; …)`` of a customer's errors, or empty."""
    errors = data.get("errors") or []
    found = [f"{e.get('errorCode')}: {e.get('description')}" for e in errors if isinstance(e, dict)]
    return f" ({'; '.join(found)})" if found else ""


def short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
