"""Parse and check many YAML files, across the machine's cores when that pays.

Parsing with positions is the largest part of a cold load (about 60 % at 100,000 users) and
each file is parsed on its own, so the files are split over forked worker processes. Forked,
not spawned: a spawned worker first imports the tool again, which costs more than the parse
of a typical directory. Only on Linux, with more than one core, with no other thread running
(forking a threaded process is unsafe) and with enough text to pay for the workers;
otherwise, and whenever the workers cannot be started, the files are parsed here. The outcome
is the same either way: each file's documents and problems, in the order given.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from reconciler.errors import Problem

from . import schemas
from .build import document_errors
from .yamlio import Document, FileText, parse

#: Below this much text the workers cost more than they save (~2 ms to fork each, and the
#: documents come back pickled).
PARALLEL_MIN_CHARS = 2_000_000
#: Chunks per worker: enough to even out files of different sizes.
CHUNKS_PER_WORKER = 4

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


#: Called in the process that parsed a file with its key and outcome (to cache it there).
Keep = Callable[[str, Parsed], None]
#: One document as it crosses between processes: its text is already on the other side.
_Plain = tuple[Any, int, dict[tuple[str | int, ...], tuple[int, int]], bool, bool]


def _chunk(
    items: Sequence[tuple[str, str, str]], strings: frozenset[str], keep: Keep | None
) -> list[Parsed]:
    out = []
    for text, shown, key in items:
        parsed = parse_and_check(text, shown, strings)
        if keep is not None:
            keep(key, parsed)
        out.append(parsed)
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
    """How many worker processes to parse ``chars`` of text with (0: parse here)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (
        sys.platform != "linux"
        or (cores or 1) < 2
        or chars < PARALLEL_MIN_CHARS
        or threading.active_count() > 1
    ):
        return 0
    return min(cores or 1, 8)


def parse_many(
    items: Sequence[tuple[str, str, str]], strings: frozenset[str], keep: Keep | None = None
) -> list[Parsed]:
    """``parse_and_check`` of each (text, shown name, key), in order; ``keep`` is called with
    each key and outcome where the file was parsed (a module-level function or a partial of
    one: it may be sent to a worker)."""
    workers = workers_for(sum(len(text) for text, _, _ in items))
    if not workers:
        return _chunk(items, strings, keep)
    size = max(1, -(-len(items) // (workers * CHUNKS_PER_WORKER)))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            done = pool.map(_sent, chunks, [strings] * len(chunks), [keep] * len(chunks))
            sent = [parsed for chunk in done for parsed in chunk]
    except (OSError, BrokenProcessPool):  # no processes to be had, or one died: do it here
        return _chunk(items, strings, keep)
    out: list[Parsed] = []
    for (text, shown, _), (plain, problems) in zip(items, sent, strict=True):
        source = FileText(text)
        docs = [
            (Document(shown, data, source, index, starts, broken), ok)
            for data, index, starts, broken, ok in plain
        ]
        out.append((docs, problems))
    return out
