"""Loading without Python's cyclic garbage collector running.

A load allocates millions of objects that all survive it (nodes, then plain data, then the
resolved objects), and each full collection walks every one of them again: at 100,000 users the
collector took 1.5 s of a 4.5 s load and freed nothing. Nothing a load builds is a cycle that
must be freed early (alias cycles in a hostile file are bounded and collected after it), so
the collector is paused for the load and resumed after, as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off inside, and enabled after if it was before (nesting is fine:
    the outermost pause restores it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def pausing(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` run inside :func:`paused`, then the memory its temporaries held handed back
    (:func:`release`)."""

    @functools.wraps(function)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            with paused():
                return function(*args, **kwargs)
        finally:
            release()

    return run


def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    return trim if callable(trim) else None


_MALLOC_TRIM = _trim()


def release() -> bool:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``): a load frees
    its file texts and parse results, larger blocks than Python's own allocator keeps, which
    would otherwise stay in the process while the plan builds the live state. False where the
    C library has no such call."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True
