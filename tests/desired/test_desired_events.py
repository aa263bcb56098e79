"""The parse-event reader gives exactly what composing gives, or gives up and leaves the file
to composing: same data (types included), same positions, never a problem hidden."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired import schemas
from reconciler.desired.events import plain_documents
from reconciler.desired.yamlio import FileText, composed, parse

ROOT = Path(__file__).resolve().parents[2]
STRINGS = schemas.string_fields()


def same(a: Any, b: Any) -> bool:
    """Equal with types and key order (``1 == 1.0 == True`` would hide a difference)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def agree(text: str) -> bool:
    """The two readers agree on ``text``; True when the event reader read it itself."""
    plain = plain_documents(text, STRINGS)
    docs, problems = composed(FileText(text), "f.yaml", STRINGS)
    if plain is None:
        return False
    assert problems == []
    assert len(plain) == len(docs)
    for (data, starts), doc in zip(plain, docs, strict=True):
        assert same(data, doc.data), (data, doc.data)
        assert starts == doc.starts
        assert not doc.broken
    return True


def test_every_yaml_file_of_the_repository_reads_alike() -> None:
    paths = [
        p
        for folder in ("desired-state", "tests/desired", "tests/cases", "tests/export")
        for p in sorted((ROOT / folder).rglob("*.y*ml"))
    ]
    read = [p for p in paths if agree(p.read_text(encoding="utf-8"))]
    assert len(paths) > 50
    assert len(read) > len(paths) // 2


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: ! 1\n",
        "base: &b {x: 1}\nc:\n  <<: *b\n",
        "a: 1\na: 2\n",
        "? [a, b]\n: 1\n",
        "a: [\n",
        "a: 2024-13-45\n",
        "a: !!binary aGk=\n",
        "\n".join(" " * i + "a:" for i in range(70)) + " x\n",
        "kind: User\nemail: a@b.c\n---\nx: &y [1]\n",
    ],
)
def test_gives_up_on_what_composing_handles_with_care(text: str) -> None:
    assert plain_documents(text, STRINGS) is None


def test_a_file_it_gives_up_on_is_parsed_by_composing() -> None:
    text = "kind: Customer\nexternalId: a\nexternalId: b\n"
    docs, problems = parse(text, "f.yaml", STRINGS)
    assert [d.data for d in docs] == [{"kind": "Customer", "externalId": "b"}]
    assert [str(p) for p in problems] == [
        "f.yaml:3:1: duplicate key 'externalId' (first given at line 2)"
    ]


def test_empty_documents_are_skipped_and_positions_kept() -> None:
    text = (
        "---\n---\nnull\n--- ''\n---\nkind: Customer\nusers:\n  - {email: a}\n  -\n    email: b\n"
    )
    assert agree(text)
    plain = plain_documents(text, STRINGS)
    assert plain is not None
    assert [d for d, _ in plain] == [
        "",
        {"kind": "Customer", "users": [{"email": "a"}, {"email": "b"}]},
    ]
    assert plain[1][1] == {(): (6, 1), ("users", 0): (8, 5), ("users", 1): (10, 5)}


SCALARS = [
    "0100", "+4930123456", "1e3", "1.5", "-7", "0x1F", "0o17", "1_000", ".inf", "-.nan",
    "yes", "NO", "on", "true", "False", "~", "null", "", "2024-01-31", "2024-01-31 10:00:00",
    "12:30:00", "Site 0", "a b", "=", "<<", "é", "'quoted'", '"dq"', "x: y", "- z",
]  # fmt: skip
KEYS = ["name", "extension", "phoneNumber", "postalCode", "country", "concurrency", "prune",
        "users", "locations", "roles", "x", "state", "timeZone", "1", "on"]  # fmt: skip

leaf = st.one_of(
    st.sampled_from(SCALARS),
    st.sampled_from(["'0100'", '"yes"', "|\n  text\n", "''"]),
)


def _value(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return leaf
    inner = _value(depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, max_size=3).map(lambda v: ("seq", v)),
        st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=4).map(lambda v: ("map", v)),
    )


def _render(value: Any, indent: int, flow: bool) -> str:
    """YAML text for a generated value: scalars as written (plain, quoted, block)."""
    if isinstance(value, str):
        if value.startswith("|"):
            return "|\n" + " " * (indent + 2) + "text\n" if not flow else '"text"'
        if value in ("x: y", "- z") or (flow and value in ("<<", "=")):
            return yaml.safe_dump(value, default_style='"').strip().splitlines()[0]
        return value if value else "''"
    kind, items = value
    if flow or not items:
        if kind == "seq":
            return "[" + ", ".join(_render(v, indent, True) for v in items) + "]"
        return "{" + ", ".join(f"{k}: {_render(v, indent, True)}" for k, v in items) + "}"
    pad = " " * indent
    lines = []
    for item in items:
        k, v = item if kind == "map" else ("", item)
        head = f"{pad}{k}:" if kind == "map" else f"{pad}-"
        body = _render(v, indent + 2, False)
        if isinstance(v, tuple) and v[1]:
            lines.append(f"{head}\n{body}")
        elif body.endswith("\n"):
            lines.append(f"{head} {body}".rstrip("\n"))
        else:
            lines.append(f"{head} {body}")
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.tuples(st.sampled_from(KEYS), _value(3)), max_size=5), st.booleans()),
        min_size=1,
        max_size=3,
    )
)
def test_generated_files_read_alike(documents: list[tuple[list[tuple[str, Any]], bool]]) -> None:
    text = "".join(
        "---\n" + (_render(("map", items), 0, flow) if items else "{}") + "\n"
        for items, flow in documents
    )
    agree(text)


def _random(rnd: random.Random, depth: int) -> Any:
    roll = rnd.random()
    if depth == 0 or roll < 0.5:
        return rnd.choice([*SCALARS, "'0100'", '"yes"', "|\n  text\n", "''"])
    items = [_random(rnd, depth - 1) for _ in range(rnd.randrange(4))]
    if roll < 0.7:
        return ("seq", items)
    return ("map", [(rnd.choice(KEYS), item) for item in items])


def test_most_generated_files_are_read_from_events_and_alike() -> None:
    """The generator is not all duplicates and oddities: the comparisons mean something."""
    rnd = random.Random(14)
    read = 0
    for _ in range(500):
        items = [(rnd.choice(KEYS), _random(rnd, 3)) for _ in range(rnd.randrange(1, 5))]
        read += agree(_render(("map", items), 0, rnd.random() < 0.3))
    assert read > 200
