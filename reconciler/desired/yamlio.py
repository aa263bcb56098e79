"""Read the desired-state directory: YAML documents as plain data, with positions on demand.

Each file is composed into nodes (which carry positions), converted to plain data, and the nodes
are dropped: a large estate would otherwise keep millions of them. What every object needs — the
position of each document and of each item of its ``locations:``/``users:`` — is kept; any other
position (for a problem message) comes from composing that one file again, which only a file
with problems pays for.

Loading is safe (tags that would build Python objects are problems) and stricter than YAML 1.1
where 1.1 surprises people:

- only ``true``/``false`` are booleans (``country: NO`` is Norway, ``state: yes`` a string);
- a field whose schema says "string" keeps the scalar's text (``extension: 0100``,
  ``phoneNumber: +4930123456``, ``postalCode: 01067``), see ``schemas.string_fields``;
- a mapping key given twice is a problem, never a silent overwrite.

Bounded, so no file can exhaust the runner: nesting deeper than ``MAX_NESTING`` and aliases that
expand to more than ``MAX_ALIASED_VALUES`` values (a "billion laughs" file) are problems at the
place they happen, and the file walk reads only regular files inside the directory
(:mod:`reconciler.desired.files`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ConfigError, Problem

from .events import plain_documents
from .files import read_bytes, yaml_files
from .loader import (
    _MAP,
    _MERGE,
    _NULL_WORDS,
    _PLAIN,
    _RESOLVER,
    _SEQ,
    _STR,
    MAX_ALIASED_VALUES,
    MAX_NESTING,
    Position,
    _documents,
)

_NESTED = ("locations", "users")


class _Unbounded(Exception):
    """Conversion stopped: the file passed a bound (reported as a problem at ``node``)."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class FileText:
    """One file's text; composed again, once, when a problem needs a position in it."""

    __slots__ = ("_nodes", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._nodes: list[yaml.Node] | None = None

    def node(self, index: int) -> yaml.Node:
        if self._nodes is None:
            self._nodes = []
            # The documents before a syntax error are all a problem can point into.
            with contextlib.suppress(yaml.YAMLError):
                for node in _documents(self.text):
                    self._nodes.append(node)
        return self._nodes[index]


@dataclass(frozen=True, slots=True, eq=False)
class Document:
    """One YAML document as plain data (dicts, lists, scalars), and where it came from."""

    file: str
    data: Any
    text: FileText
    #: Position among the file's non-empty documents.
    index: int
    #: Positions of the document and of each item of its ``locations:``/``users:``.
    starts: dict[tuple[str | int, ...], Position] = field(default_factory=dict)
    #: A value could not be read (e.g. an unsupported tag); the problem is already reported.
    broken: bool = False

    def position(self, path: Sequence[str | int] = (), *, key: bool = False) -> Position:
        """Line and column (1-based) of the value at ``path``; of its key when ``key``.

        Walks as deep as the path exists, so a path into missing data points at its parent.
        """
        path = tuple(path)
        if not key and path in self.starts:
            return self.starts[path]
        node = self.text.node(self.index)
        for step in path:
            child = _child(node, step, key=key and step == path[-1])
            if child is None:
                break
            node = child
        return node.start_mark.line + 1, node.start_mark.column + 1

    def problem(self, path: Sequence[str | int], message: str, *, key: bool = False) -> Problem:
        line, col = self.position(path, key=key)
        return Problem(self.file, line, col, message)


def _child(node: yaml.Node, step: str | int, *, key: bool) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for k, v in reversed(node.value):  # the last one wins, as in the data
            if isinstance(k, yaml.ScalarNode) and k.value == step:
                return k if key else v
    elif (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        return node.value[step]  # type: ignore[no-any-return]
    return None


def _mark(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Converter:
    """Node tree → plain data, reporting duplicate keys and unsupported tags; one per file."""

    def __init__(self, file: str, string_fields: frozenset[str]) -> None:
        self.file = file
        self.string_fields = string_fields
        self.constructor = yaml.constructor.SafeConstructor()
        self.problems: list[Problem] = []
        self.unreadable = 0
        # the collections converted once: meeting one again means it came through an alias
        self._seen: set[int] = set()
        self._aliased = 0  # > 0 while inside a collection reached through an alias
        self._aliased_values = 0
        self._depth = 0

    def new_document(self) -> None:
        """Anchors do not cross documents; and a freed node's id may be reused by the next."""
        self._seen.clear()

    def report(self, node: yaml.Node, message: str, *, unreadable: bool = True) -> None:
        """Record a problem; ``unreadable`` when the data lost a value because of it."""
        self.problems.append(Problem(self.file, *_mark(node), message))
        self.unreadable += unreadable

    def value(self, node: yaml.Node, as_text: bool = False) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, as_text)
        if node.tag not in (_SEQ, _MAP):
            self.report(node, f"unsupported tag '{node.tag}'")
            return None
        again = id(node) in self._seen
        self._seen.add(id(node))
        self._depth += 1
        self._aliased += again
        try:
            if self._depth > MAX_NESTING:
                raise _Unbounded(node, f"nested deeper than {MAX_NESTING} levels")
            if self._aliased:
                self._aliased_values += len(node.value)
                if self._aliased_values > MAX_ALIASED_VALUES:
                    raise _Unbounded(
                        node, f"aliases expand to more than {MAX_ALIASED_VALUES:,} values"
                    )
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item) for item in node.value]
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node)
        finally:
            self._depth -= 1
            self._aliased -= again

    def scalar(self, node: yaml.ScalarNode, as_text: bool) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _PLAIN:
            text = node.value
            if text in _NULL_WORDS:
                return None
            if as_text:
                return text
            tag = node.tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
            if tag == _STR:
                return text
        try:
            return self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError:
            self.report(node, f"unsupported tag '{tag}'")
            return None

    def mapping(self, node: yaml.MappingNode) -> dict[str, Any]:
        merge = False
        for key_node, _ in node.value:
            if key_node.tag == _PLAIN and key_node.value == "<<":
                key_node.tag = _MERGE
                merge = True
        if merge:
            self.constructor.flatten_mapping(node)
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.report(key_node, "a key must be a scalar")
                continue
            key = key_node.value
            if key in seen:
                first = seen[key].start_mark.line + 1
                message = f"duplicate key '{key}' (first given at line {first})"
                self.report(key_node, message, unreadable=False)  # the last one counts
            seen[key] = key_node
            out[key] = self.value(value_node, key in self.string_fields)
        return out


def _starts(node: yaml.Node) -> dict[tuple[str | int, ...], Position]:
    starts: dict[tuple[str | int, ...], Position] = {(): _mark(node)}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value in _NESTED and isinstance(value_node, yaml.SequenceNode):
                for i, item in enumerate(value_node.value):
                    starts[(key_node.value, i)] = _mark(item)
    return starts


def _marked_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Point at where the broken construct starts (the context), naming where it broke."""
    mark = exc.context_mark or exc.problem_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    text = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
    if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
        text += f" (at line {exc.problem_mark.line + 1})"
    return Problem(file, line, col, f"YAML syntax error: {text}")


def read_file(
    path: Path, shown: str, string_fields: frozenset[str], root: Path | None = None
) -> tuple[list[Document], list[Problem]]:
    """Every non-empty document of one file, and the problems found reading it.

    ``root``: the directory being read (default: the file's own); a link out of it is a problem.
    """
    data, refused = read_bytes(path, shown, os.path.realpath(root or path.parent))
    if refused is not None or data is None:
        return [], [refused] if refused else []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [Problem(shown, 1, 1, f"not UTF-8 text ({exc.reason})")]
    return parse(text, shown, string_fields)


def parse(
    text: str, shown: str, string_fields: frozenset[str]
) -> tuple[list[Document], list[Problem]]:
    """Every non-empty document of ``text`` (named ``shown`` in problems), and the problems."""
    source = FileText(text)
    plain = plain_documents(text, string_fields)
    if plain is not None:
        return [
            Document(shown, data, source, i, starts) for i, (data, starts) in enumerate(plain)
        ], []
    return composed(source, shown, string_fields)


def composed(
    source: FileText, shown: str, string_fields: frozenset[str]
) -> tuple[list[Document], list[Problem]]:
    """``parse`` by composing nodes: the way of every file, and the only one for a file with
    anchors, tags, duplicate keys or problems."""
    text = source.text
    converter = _Converter(shown, string_fields)
    docs: list[Document] = []
    try:
        for node in _documents(text):
            converter.new_document()
            before = converter.unreadable
            data = converter.value(node)
            broken = converter.unreadable > before
            docs.append(Document(shown, data, source, len(docs), _starts(node), broken))
    except _Unbounded as exc:
        converter.problems.append(Problem(shown, *_mark(exc.node), f"{exc.message}; not read"))
    except yaml.MarkedYAMLError as exc:
        converter.problems.append(_marked_problem(shown, exc))
    except yaml.YAMLError as exc:  # pragma: no cover - errors without a mark
        converter.problems.append(Problem(shown, 1, 1, f"YAML error: {exc}"))
    return docs, converter.problems


def read_directory(
    directory: Path, string_fields: frozenset[str] = frozenset()
) -> tuple[list[Document], list[Problem], int]:
    """All documents under ``directory``, the problems, and the number of files read.

    File names are shown joined to ``directory`` as given (``desired-state/customers/a.yaml``).
    """
    if not directory.exists():
        raise ConfigError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory")
    docs: list[Document] = []
    files, problems = yaml_files(directory)
    for path in files:
        file_docs, file_problems = read_file(path, str(path), string_fields, directory)
        docs.extend(file_docs)
        problems.extend(file_problems)
    return docs, problems, len(files)
