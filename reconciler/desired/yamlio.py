"""Read the desired-state directory: YAML documents as plain data plus their node trees.

Documents are composed (not constructed) so every node keeps its position; positions are looked
up lazily, by path, only when a message or a ``Source`` needs one. Loading is safe (no tags that
build Python objects) and stricter than YAML 1.1 where 1.1 surprises people:

- only ``true``/``false`` are booleans (``country: NO`` is Norway, ``state: yes`` a string);
- a field whose schema says "string" keeps the scalar's text (``extension: 0100``,
  ``phoneNumber: +4930123456``, ``postalCode: 01067``), see ``STRING_FIELDS`` in ``schemas``;
- a mapping key given twice is a problem, never a silent overwrite.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ConfigError, Problem

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

Path_ = tuple[str | int, ...]


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1 resolution, except that booleans are only true/false (as in YAML 1.2)."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _Composer(CParser, yaml.constructor.SafeConstructor, _Resolver):
        """libyaml parses (several times faster); nodes keep their marks all the same."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Composer(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        yaml.constructor.SafeConstructor,
        _Resolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)


@dataclass(frozen=True, slots=True, eq=False)
class Document:
    """One YAML document: its data (plain dicts/lists/scalars) and its node tree."""

    file: str
    node: yaml.Node
    data: Any
    #: A value could not be read (e.g. an unsupported tag); the problem is already reported.
    broken: bool = False

    def position(self, path: Sequence[str | int] = (), *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the node at ``path``; of its key when ``key``.

        Walks as deep as the path exists, so a path into missing data points at its parent.
        """
        node = self.node
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


class _Converter:
    """Node tree → plain data, reporting duplicate keys; one instance per file."""

    def __init__(self, file: str, string_fields: frozenset[str]) -> None:
        self.file = file
        self.string_fields = string_fields
        self.constructor = yaml.constructor.SafeConstructor()
        self.problems: list[Problem] = []

    def value(self, node: yaml.Node, as_text: bool = False) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, as_text)
        if node.tag not in (_SEQ, _MAP):
            mark = node.start_mark
            self.problems.append(
                Problem(self.file, mark.line + 1, mark.column + 1, f"unsupported tag '{node.tag}'")
            )
            return None
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item) for item in node.value]
        assert isinstance(node, yaml.MappingNode)
        return self.mapping(node)

    def scalar(self, node: yaml.ScalarNode, as_text: bool) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if as_text and tag != _NULL and not node.style:  # plain: None, or "" from libyaml
            return node.value
        try:
            return self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError:
            mark = node.start_mark
            self.problems.append(
                Problem(self.file, mark.line + 1, mark.column + 1, f"unsupported tag '{tag}'")
            )
            return None

    def mapping(self, node: yaml.MappingNode) -> dict[str, Any]:
        if any(k.tag == _MERGE for k, _ in node.value):
            self.constructor.flatten_mapping(node)
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                mark = key_node.start_mark
                self.problems.append(
                    Problem(self.file, mark.line + 1, mark.column + 1, "a key must be a scalar")
                )
                continue
            key = key_node.value
            if key in seen:
                first = seen[key].start_mark
                mark = key_node.start_mark
                self.problems.append(
                    Problem(
                        self.file,
                        mark.line + 1,
                        mark.column + 1,
                        f"duplicate key '{key}' (first given at line {first.line + 1})",
                    )
                )
            seen[key] = key_node
            out[key] = self.value(value_node, key in self.string_fields)
        return out


def _marked_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Point at where the broken construct starts (the context), naming where it broke."""
    mark = exc.context_mark or exc.problem_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    text = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
    if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
        text += f" (at line {exc.problem_mark.line + 1})"
    return Problem(file, line, col, f"YAML syntax error: {text}")


def read_file(
    path: Path, shown: str, string_fields: frozenset[str]
) -> tuple[list[Document], list[Problem]]:
    """Every non-empty document of one file, and the problems found reading it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [Problem(shown, 1, 1, f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror}") from exc
    return parse(text, shown, string_fields)


def parse(
    text: str, shown: str, string_fields: frozenset[str]
) -> tuple[list[Document], list[Problem]]:
    """Every non-empty document of ``text`` (named ``shown`` in problems), and the problems."""
    converter = _Converter(shown, string_fields)
    docs: list[Document] = []
    loader = _Composer(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
                continue
            before = len(converter.problems)
            data = converter.value(node)
            docs.append(Document(shown, node, data, broken=len(converter.problems) > before))
    except yaml.MarkedYAMLError as exc:
        converter.problems.append(_marked_problem(shown, exc))
    except yaml.YAMLError as exc:  # pragma: no cover - errors without a mark
        converter.problems.append(Problem(shown, 1, 1, f"YAML error: {exc}"))
    finally:
        loader.dispose()
    return docs, converter.problems


def yaml_files(directory: Path) -> Iterator[Path]:
    """``*.yaml``/``*.yml`` below ``directory``, sorted, skipping hidden folders and files."""
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            Path(root, f) for f in files if not f.startswith(".") and f.endswith((".yaml", ".yml"))
        )
    yield from sorted(found)


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
    problems: list[Problem] = []
    files = 0
    for path in yaml_files(directory):
        file_docs, file_problems = read_file(path, str(path), string_fields)
        docs.extend(file_docs)
        problems.extend(file_problems)
        files += 1
    return docs, problems, files
