"""What the commands share on the terminal: whether a stream is one, colour, how verbose the
run is (``-v`` / ``-q``, before or after the command), and progress of the live reads on
stderr; and ``Runtime``, the world the commands run in (on click's context object, so tests
hand in a fake clock, a fake target and a pretend terminal)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import click

from reconciler.workflow import REAL_SEAMS, Seams


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
        message = f"reading Partner Hub: {phase} {done}/{total}"
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
