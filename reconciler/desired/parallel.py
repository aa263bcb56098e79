"""Parse and check many YAML files, across the machine's cores when that pays.

Parsing is the largest part of a cold load and each file is parsed on its own, so the files
are split by size into one share per core: forked children parse theirs while this process
parses its own, then reads the children's documents back (pickled, through a pipe). Forked,
not spawned: a spawned worker first imports the tool again, which costs more than the parse
of a typical directory; and this process works too, since on two cores a pool of two
workers would leave it waiting. Only on Linux, with more than one core, with no other thread
running (forking a threaded process is unsafe) and with enough text to pay for the fork;
otherwise, and whenever a child cannot be started or does not answer, the files are parsed
here. The outcome is the same either way: each file's documents and problems, in order.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from reconciler.errors import Problem

from . import schemas
from .build import document_errors
from .yamlio import Document, FileText, parse

#: Below this much text a child costs more than it saves (a few ms to fork, and the documents
#: come back pickled).
PARALLEL_MIN_CHARS = 2_000_000

Parsed = tuple[list[tuple[Document, bool]], list[Problem]]


def parse_and_check(text: str, shown: str, strings: frozenset[str]) -> Parsed:
    """The documents of one file, each with whether its own checks passed, and the parse
    problems of the file."""
    docs, problems = parse(text, shown, strings)
    out = []
    for doc in docs:
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        ok = (
            not doc.broken
            and isinstance(kind, str)
            and kind in schemas.KINDS
            and not document_errors(doc, kind)
        )
        out.append((doc, ok))
    return out, problems


#: Called once in each process that parsed files, with each file's key and outcome (to cache
#: them there).
Keep = Callable[[list[tuple[str, Parsed]]], None]
#: One document as it crosses between processes: its text is already on the other side.
_Plain = tuple[Any, int, dict[tuple[str | int, ...], tuple[int, int]], bool, bool]


def _chunk(
    items: Sequence[tuple[str, str, str]], strings: frozenset[str], keep: Keep | None
) -> list[Parsed]:
    out = [parse_and_check(text, shown, strings) for text, shown, _ in items]
    if keep is not None:
        keep([(key, parsed) for (_, _, key), parsed in zip(items, out, strict=True)])
    return out


def _sent(
    items: Sequence[tuple[str, str, str]], strings: frozenset[str], keep: Keep | None
) -> list[tuple[list[_Plain], list[Problem]]]:
    """``_chunk`` in a worker: the documents without the text the caller holds."""
    return [
        ([(d.data, d.index, d.starts, d.broken, ok) for d, ok in docs], problems)
        for docs, problems in _chunk(items, strings, keep)
    ]


def workers_for(chars: int) -> int:
    """How many processes to parse ``chars`` of text with, this one included (1: only here)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (
        sys.platform != "linux"
        or (cores or 1) < 2
        or chars < PARALLEL_MIN_CHARS
        or threading.active_count() > 1
    ):
        return 1
    return min(cores or 1, 8)


Items = Sequence[tuple[str, str, str]]


def _shares(items: Items, count: int) -> list[Items]:
    """``items`` cut into ``count`` runs of about equal text, in order."""
    total = sum(len(text) for text, _, _ in items)
    shares: list[Items] = []
    start = done = 0
    for i, (text, _, _) in enumerate(items):
        done += len(text)
        if done * count >= total * (len(shares) + 1) and len(shares) < count - 1:
            shares.append(items[start : i + 1])
            start = i + 1
    shares.append(items[start:])
    return shares


def _fork(share: Items, strings: frozenset[str], keep: Keep | None) -> tuple[int, int] | None:
    """A child parsing ``share`` into a pipe: its process id and the pipe's reading end."""
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:  # the child: never returns into the caller
        os.close(read)
        with os.fdopen(write, "wb") as out:
            pickle.dump(_sent(share, strings, keep), out, pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


def _collect(child: tuple[int, int]) -> list[tuple[list[_Plain], list[Problem]]] | None:
    """What a child sent, or None when it died or sent something else."""
    pid, read = child
    try:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0:
            return None
        found: Any = pickle.loads(data)  # noqa: S301 - our own child, through our own pipe
    except Exception:  # whatever went wrong there, this process parses the share itself
        return None
    return found if isinstance(found, list) else None


def parse_many(items: Items, strings: frozenset[str], keep: Keep | None = None) -> list[Parsed]:
    """``parse_and_check`` of each (text, shown name, key), in order; ``keep`` is called with
    the keys and outcomes of the files each process parsed (in a child, or here)."""
    workers = workers_for(sum(len(text) for text, _, _ in items))
    if workers == 1:
        return _chunk(items, strings, keep)
    mine, *theirs = _shares(items, min(workers, len(items)))
    children = [_fork(share, strings, keep) for share in theirs]
    try:
        out = _chunk(mine, strings, keep)
    except BaseException:  # interrupted: no child is left parsing or blocked on its pipe
        for child in children:
            if child is not None:
                os.kill(child[0], signal.SIGKILL)
                os.close(child[1])
                os.waitpid(child[0], 0)
        raise
    for share, child in zip(theirs, children, strict=True):
        sent = _collect(child) if child is not None else None
        if sent is None or len(sent) != len(share):  # parse them here after all
            out.extend(_chunk(share, strings, keep))
            continue
        for (text, shown, _), (plain, problems) in zip(share, sent, strict=True):
            source = FileText(text)
            docs = [
                (Document(shown, data, source, index, starts, broken), ok)
                for data, index, starts, broken, ok in plain
            ]
            out.append((docs, problems))
    return out
