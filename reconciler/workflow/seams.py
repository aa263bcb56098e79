"""``Seams``: everything a workflow takes from the world besides its arguments, in one value.

The CLI passes the real ones; tests pass a fake clock and sleep (provisioning waits cost no
real time), a short poll policy, fast limits, or another ``connect`` (a sandbox on the fake
clock, a client that counts its requests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.api import Limiter, RetryPolicy
from reconciler.operations import PollPolicy
from reconciler.workflow.connect import Connect, open_client


@dataclass(frozen=True, slots=True)
class Seams:
    """``limiter``: makes the request limits of each client (None: from the desired
    ``Settings``); a factory, since a limiter belongs to the event loop of one run.
    ``cache``: where checked desired-state documents are kept between runs (None: none)."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    poll: PollPolicy = field(default_factory=PollPolicy)
    limiter: Callable[[], Limiter] | None = None
    retry: RetryPolicy | None = None
    connect: Connect = open_client
    cache: Path | None = None


#: The real clock, sleep and poll policy, the limits from ``Settings``, and :func:`open_client`.
REAL_SEAMS = Seams()
