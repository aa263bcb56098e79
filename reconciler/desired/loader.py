"""How a YAML file is parsed: libyaml's parser, YAML 1.1 resolution with only ``true``/``false``
as booleans, plain scalars left untyped until their value is needed, and the bounds.

:mod:`reconciler.desired.yamlio` composes files into nodes with it (positions for problems);
:mod:`reconciler.desired.events` reads the common file from its parse events alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
#: Tag of a plain scalar whose type is decided only when its value is needed.
_PLAIN = "?plain"
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})

Position = tuple[int, int]

#: Mappings and lists nested deeper than this are a problem (desired state nests 4 levels).
MAX_NESTING = 64
#: Values one file may reach through aliases; more is a problem, not a slow expansion.
MAX_ALIASED_VALUES = 100_000


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1 resolution, except that booleans are only true/false (as in YAML 1.2)."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_RESOLVER = _Resolver()


class _LazyResolver(yaml.resolver.BaseResolver):
    """Leaves plain scalars untyped: most are strings by schema, and resolving costs time."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers here: skip the bookkeeping the composer asks for per node."""

    def ascend_resolver(self) -> None:
        """See ``descend_resolver``."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _Composer(CParser, _LazyResolver):
        """libyaml parses (several times faster); nodes keep their marks all the same."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _LazyResolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Composer(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        _LazyResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _LazyResolver.__init__(self)


def _documents(text: str) -> Iterator[yaml.Node]:
    """The non-empty documents of ``text``; a syntax error ends it (``MarkedYAMLError``)."""
    loader = _Composer(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or (
                isinstance(node, yaml.ScalarNode) and node.value in _NULL_WORDS and not node.style
            ):
                continue
            yield node
    finally:
        loader.dispose()
