"""Every refusal the sandbox can give has a row in ``reconciler.parity.TABLE`` naming what foresees
it, and every row's counterpart exists.

The refusals are read from the sandbox's source: each message given to ``bad_request``,
``ApiError``, ``not_found``, the fault layer's ``_error``, or appended to a ``problems`` list (the
body rules). A new refusal in the sandbox fails this test until the table says how it is
foreseen (or names it a ``GAP``).
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

from reconciler.parity import TABLE, gaps

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / "reconciler" / "sandbox"
#: The sandbox's own test-control API (``/_sandbox/...``): no Webex route, never a planned write.
NOT_WEBEX = {"admin.py"}
#: callable name → index of its message argument
MESSAGE_ARG = {"bad_request": 0, "ApiError": 1, "not_found": 0, "_error": 2}


def _template(node: ast.AST) -> str | None:
    """A string expression as text, each formatted value as ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    return None


def _first_text(node: ast.AST) -> str | None:
    for sub in ast.walk(node):
        text = _template(sub)
        if text is not None:
            return text
    return None


def _is_problems(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "problems"


def refusals_in(source: str) -> set[str]:
    """The refusal messages of one sandbox module."""
    found: set[str] = set()
    tree = ast.parse(source)
    # The body of a helper such as ``not_found`` is read at its call sites, with their values.
    helpers = {
        id(sub)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef) and fn.name in MESSAGE_ARG
        for sub in ast.walk(fn)
    }
    for node in ast.walk(tree):
        if id(node) in helpers:
            continue
        if isinstance(node, ast.AugAssign) and _is_problems(node.target):
            text = _first_text(node.value)
            if text is not None:
                found.add(text)
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in ("append", "extend") and _is_problems(getattr(func, "value", None)):
            text = _first_text(node.args[0]) if node.args else None
        elif name in MESSAGE_ARG and len(node.args) > MESSAGE_ARG[name]:
            arg = node.args[MESSAGE_ARG[name]]
            if isinstance(arg, ast.Starred):
                arg = arg.value
            text = _first_text(arg)
            if text is not None and name == "not_found":
                text = f"{text} not found."
        else:
            continue
        if text is not None:
            found.add(text)
    return found


def sandbox_refusals() -> dict[str, set[str]]:
    """refusal message → the sandbox modules that give it."""
    out: dict[str, set[str]] = {}
    for path in sorted(SANDBOX.glob("*.py")):
        if path.name in NOT_WEBEX:
            continue
        for text in refusals_in(path.read_text(encoding="utf-8")):
            out.setdefault(text, set()).add(path.name)
    return out


def test_the_scan_finds_refusals_of_every_kind() -> None:
    """The reader itself: body rules, handler answers, the fault layer and the auth layer."""
    found = sandbox_refusals()
    assert "Package {} is not provisioned for this customer." in found
    assert "{}{} is required." in found
    assert "Unknown role '{}'." in found  # a ``problems += [...]``
    assert "Too many requests have been sent in a given amount of time." in found
    assert "Subscriber not found." in found
    assert len(found) > 60


def test_every_sandbox_refusal_has_a_row() -> None:
    rows = {p.refusal for p in TABLE}
    missing = {
        text: sorted(where) for text, where in sandbox_refusals().items() if text not in rows
    }
    assert not missing, f"refusals with no counterpart in reconciler/parity.py: {missing}"


def test_every_row_is_a_refusal_the_sandbox_gives() -> None:
    found = sandbox_refusals()
    stale = [p.refusal for p in TABLE if p.refusal not in found]
    assert not stale, f"rows for refusals the sandbox no longer gives: {stale}"
    assert len({p.refusal for p in TABLE}) == len(TABLE), "a refusal has two rows"


def _resolve(rule: str) -> object:
    if rule.startswith("schemas/"):
        file, _, pointer = rule.partition("#")
        node: object = json.loads((ROOT / file).read_text(encoding="utf-8"))
        for step in pointer.strip("/").split("/"):
            assert isinstance(node, dict), rule
            assert step in node, f"{rule}: no {step!r}"
            node = node[step]
        return node
    module, _, attribute = rule.partition(":")
    target: object = importlib.import_module(module)
    for step in attribute.split("."):
        target = getattr(target, step)
    return target


@pytest.mark.parametrize("row", [p for p in TABLE if p.how != "GAP"], ids=lambda p: p.refusal)
def test_every_counterpart_exists(row: object) -> None:
    assert _resolve(row.rule) is not None  # type: ignore[attr-defined]


def test_gaps_say_what_would_foresee_them() -> None:
    for row in gaps():
        assert row.rule == ""
        assert len(row.note) > 40, row


def test_the_product_does_not_import_the_sandbox_for_this() -> None:
    source = (ROOT / "reconciler" / "parity.py").read_text(encoding="utf-8")
    assert "sandbox" not in {
        part
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for part in (getattr(node, "module", "") or "").split(".")
    }
