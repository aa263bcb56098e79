"""Plain data straight from libyaml's parse events, for the files that need nothing more.

Composing a file into nodes and converting them (:mod:`reconciler.desired.yamlio`) builds a
node and two marks for every value and then walks them again: 1.9 s CPU of a 100,000-user
estate. Building the data from the parse events in one pass takes 1.2 s. This path reads
exactly what the composing one reads, the same values and positions, and gives up (``None``)
at anything the composing path handles with more care: an anchor, an alias, a tag, a merge
key, a key that is not a scalar or is given twice, nesting deeper than ``MAX_NESTING``, a value
the constructor refuses, a syntax error. The composing path then reads the file and reports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import yaml

from .loader import _NULL_WORDS, _RESOLVER, _STR, MAX_NESTING, Position, _Composer

_SCALAR = yaml.ScalarEvent
_MAPPING = yaml.MappingStartEvent
_SEQUENCE = yaml.SequenceStartEvent
_MAPPING_END = yaml.MappingEndEvent
_SEQUENCE_END = yaml.SequenceEndEvent
_STREAM_END = yaml.StreamEndEvent
_NESTED = frozenset({"locations", "users"})
intern = sys.intern

Starts = dict[tuple[str | int, ...], Position]


class _GiveUp(Exception):
    """The file needs the composing path."""


class _Reader:
    """One file's events → plain data; one per file."""

    __slots__ = ("constructor", "get", "strings")

    def __init__(self, loader: _Composer, strings: frozenset[str]) -> None:
        self.get: Callable[[], Any] = loader.get_event
        self.strings = strings
        self.constructor: yaml.constructor.SafeConstructor | None = None

    def value(self, event: Any, as_text: bool, depth: int) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise _GiveUp
        kind = type(event)
        if kind is _SCALAR:
            # one object per distinct text: an estate repeats names, packages, locations and
            # extensions thousands of times, and the resolved objects keep them
            text: str = intern(event.value)
            if not event.implicit[0]:  # quoted or a block scalar: a string
                return text
            if text in _NULL_WORDS:
                return None
            if as_text:
                return text
            return self.typed(event, text)
        if depth >= MAX_NESTING:
            raise _GiveUp
        if kind is _SEQUENCE:
            items = []
            event = self.get()
            while type(event) is not _SEQUENCE_END:
                items.append(self.value(event, False, depth + 1))
                event = self.get()
            return items
        if kind is not _MAPPING:  # an alias
            raise _GiveUp
        return self.mapping(depth, None)

    def mapping(self, depth: int, starts: Starts | None) -> dict[str, Any]:
        """The mapping whose start event was just read; ``starts`` (of a document's root):
        filled with where each item of its ``locations:``/``users:`` starts."""
        out: dict[str, Any] = {}
        count = 0
        strings = self.strings
        get = self.get
        event = get()
        while type(event) is not _MAPPING_END:
            if type(event) is not _SCALAR or event.anchor is not None or event.tag is not None:
                raise _GiveUp
            key: str = intern(event.value)
            if key == "<<":  # a merge key when plain, and rare either way
                raise _GiveUp
            count += 1
            event = get()
            if starts is not None and key in _NESTED and type(event) is _SEQUENCE:
                out[key] = self.items(key, depth + 1, starts)
            else:
                out[key] = self.value(event, key in strings, depth + 1)
            event = get()
        if count != len(out):  # a key given twice: reported by the composing path
            raise _GiveUp
        return out

    def items(self, key: str, depth: int, starts: Starts) -> list[Any]:
        if depth >= MAX_NESTING:
            raise _GiveUp
        found: list[Any] = []
        event = self.get()
        while type(event) is not _SEQUENCE_END:
            mark = event.start_mark
            starts[(key, len(found))] = (mark.line + 1, mark.column + 1)
            found.append(self.value(event, False, depth + 1))
            event = self.get()
        return found

    def typed(self, event: Any, text: str) -> Any:
        """A plain scalar outside a string field, resolved as the composing path does."""
        tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        if tag == _STR:
            return text
        if self.constructor is None:
            self.constructor = yaml.constructor.SafeConstructor()
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark)
        try:
            return self.constructor.construct_object(node)
        except Exception as exc:  # whatever it is, the composing path meets it and reports
            raise _GiveUp from exc


def plain_documents(text: str, strings: frozenset[str]) -> list[tuple[Any, Starts]] | None:
    """Each non-empty document of ``text`` as data and the positions of the document and of
    each item of its ``locations:``/``users:``; None when the composing path must read it.

    ``strings``: field names whose plain scalars keep their text."""
    loader = _Composer(text)
    reader = _Reader(loader, strings)
    get = reader.get
    found: list[tuple[Any, Starts]] = []
    try:
        get()  # the stream's start
        while type(event := get()) is not _STREAM_END:  # a document's start
            event = get()
            mark = event.start_mark
            starts: Starts = {(): (mark.line + 1, mark.column + 1)}
            if type(event) is _MAPPING and event.anchor is None and event.tag is None:
                data: Any = reader.mapping(0, starts)
            else:
                data = reader.value(event, False, 0)
                if (
                    data is None
                    and type(event) is _SCALAR
                    and event.implicit[0]
                    and not event.style
                ):
                    get()  # an empty document: not one of the file's documents
                    continue
            get()  # the document's end
            found.append((data, starts))
    except (_GiveUp, yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    return found
