"""What the commands share on the terminal: whether a stream is one, colour, how verbose the
run is (``-v`` / ``-q``, before or after the command), and progress of the live reads on
stderr; ``Runtime``, the world the commands run in (on click's context object, so tests
hand in a fake clock, a fake target and a pretend terminal); and ``run_workflow``, the one
place a command runs its workflow coroutine."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from reconciler.safetext import actions_log, log_line, terminal
from reconciler.workflow import REAL_SEAMS, Seams

T = TypeVar("T")


def is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True, slots=True)
class Runtime:
    """The workflow seams, and how a stream is told to be a terminal."""

    seams: Seams = field(default=REAL_SEAMS)
    terminal: Callable[[Any], bool] = is_terminal

    def interactive(self) -> bool:
        """Both stdin and stdout are a terminal (a prompt can be answered)."""
        return self.terminal(sys.stdin) and self.terminal(sys.stdout)

    def colour(self, env: Mapping[str, str]) -> bool:
        """Colour on stdout: see :func:`use_colour`."""
        return use_colour(sys.stdout, env, self.terminal)


def runtime() -> Runtime:
    """The runtime of the command being run: the one on click's context, else the real one."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Runtime) if ctx is not None else None
    return found if found is not None else Runtime()


@dataclass(slots=True)
class Verbosity:
    """``-v`` counted wherever it is given (``reconciler -v plan -v``), and ``-q``."""

    verbose: int = 0
    quiet: bool = False

    @property
    def level(self) -> int:
        """The log level on stderr: errors only when quiet, else warnings, -v info, -vv debug."""
        if self.quiet:
            return logging.ERROR
        return logging.WARNING - 10 * min(self.verbose, 2)


_VERBOSITY = "reconciler.verbosity"


def verbosity(ctx: click.Context | None = None) -> Verbosity:
    """The verbosity of the command being run (kept on the root context, so a ``-v`` given
    before the command and one given after it add up); the default outside a command."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return Verbosity()
    found = ctx.find_root().meta.setdefault(_VERBOSITY, Verbosity())
    assert isinstance(found, Verbosity)
    return found


def quiet() -> bool:
    """``-q`` / ``--quiet`` was given: no progress, only errors in the log."""
    return verbosity().quiet


def in_actions(env: Mapping[str, str]) -> bool:
    """Running in a GitHub Actions job (``GITHUB_ACTIONS=true``): stdout is a workflow log."""
    return env.get("GITHUB_ACTIONS") == "true"


def for_log(rendered: str, env: Mapping[str, str]) -> str:
    """A rendered plan (text or JSON) as printed on stdout: in an Actions job wrapped by
    :func:`reconciler.safetext.actions_log`, so no line of it can act as a workflow command."""
    return actions_log(rendered) if in_actions(env) else rendered


def run_workflow(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)``, its result handed back outside the event loop's main task.

    Why not ``asyncio.run(work)`` itself: on the way out, Python 3.11's runner looks up its
    SIGINT handler (a partial bound to the main task) with ``signal.getsignal``, which formats
    the handler's repr into a discarded error message: the task's repr, and with it the repr
    of its result. A 100,000-user ``Planned`` costs seconds of CPU and ~200 MiB that way; a
    main task that returns None costs nothing.
    """
    box: list[T] = []

    async def main() -> None:
        box.append(await work)

    asyncio.run(main())
    return box[0]


def use_colour(
    stream: Any, env: Mapping[str, str], terminal: Callable[[Any], bool] = is_terminal
) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set to anything."""
    return terminal(stream) and not env.get("NO_COLOR")


class StderrProgress:
    """Progress of live reads on stderr: one line rewritten in place on a terminal; in a log,
    a line per tenth of a long phase only (CI logs stay short)."""

    def __init__(
        self, stream: Any = None, *, tty: bool | None = None, silent: bool | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = is_terminal(self.stream) if tty is None else tty
        #: prints nothing (``-q``, the default when ``silent`` is not given)
        self.silent = quiet() if silent is None else silent
        self.last_len = 0
        self.lines = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.silent:
            return
        message = f"reading Partner Hub: {terminal(phase)} {done}/{total}"
        if not self.tty:
            message = log_line(message)
        if self.tty:
            pad = " " * max(0, self.last_len - len(message))
            self.stream.write(f"\r{message}{pad}")
            self.last_len = len(message)
        else:
            self.lines += 1
            if total >= 20 and (done == total or done % max(1, total // 10) == 0):
                self.stream.write(message + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.last_len:
            self.stream.write("\r" + " " * self.last_len + "\r")
            self.stream.flush()
