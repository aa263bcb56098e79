"""Whatever the YAML, validation reports problems with places; it never raises, but for the one
error of a directory with nothing in it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired import check_directory
from reconciler.errors import ConfigError

FIELDS = [
    "kind", "apiVersion", "name", "externalId", "adminEmail", "template", "packages", "address",
    "line1", "city", "country", "headquarters", "locations", "users", "email", "package",
    "location", "phoneNumber", "extension", "roles", "state", "customer", "timeZone", "defaults",
    "previously", "meetings", "prune", "concurrency", "partnerHub",
]  # fmt: skip
KINDS = ["Template", "Customer", "Location", "User", "Settings", "Other"]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["acme", "webex_calling", "Full Administrator", "US", "Europe/Berlin", "%"]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)
DOCS = st.lists(
    st.fixed_dictionaries(
        {"kind": st.sampled_from(KINDS)},
        optional={f: VALUES for f in FIELDS if f != "kind"},
    )
    | VALUES,
    min_size=1,
    max_size=3,
)


def run(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        try:
            checked = check_directory(root)
        except ConfigError as exc:
            message = str(exc)
            checked = None
    if checked is None:
        assert message.startswith(f"no objects found under {root} ")
        return
    for problem in checked.problems:
        assert problem.line >= 1
        assert problem.col >= 1
        assert Path(problem.file).name in files
        assert problem.message


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS, DOCS, st.integers(0, 400))
def test_structured_nonsense_never_raises(first: list[Any], second: list[Any], cut: int) -> None:
    text = yaml.safe_dump_all(first, allow_unicode=True)
    run({"a.yaml": text, "b.yaml": yaml.safe_dump_all(second), "cut.yaml": text[:cut]})


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}\"'&*!|>#%@ \n\t,?~<")), max_size=60))
def test_raw_text_never_raises(text: str) -> None:
    run({"x.yaml": text})
