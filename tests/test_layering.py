"""The import rules of the architecture: pure core, one-way data flow, the sandbox apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

PURE = {"model", "planner", "plan", "render", "safetext"}
IO_LIBS = {"httpx", "yaml", "click", "jsonschema", "asyncio", "starlette", "uvicorn"}


def imports_of(path: Path, module: str) -> set[str]:
    """Absolute names of everything ``module`` (at ``path``) imports, relative imports resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            names.add(target)
            names.update(f"{target}.{a.name}" for a in node.names)
    return names


def modules() -> list[tuple[str, Path]]:
    return [
        (".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts), p)
        for p in sorted(PACKAGE.rglob("*.py"))
    ]


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_import_rules(name: str, path: Path) -> None:
    imported = imports_of(path, name)
    tops = {i.split(".")[0] for i in imported}
    short = name.removeprefix("reconciler.")
    if short.split(".")[0] in PURE:
        assert not tops & IO_LIBS, f"{name} is pure but imports {tops & IO_LIBS}"
        own = {i.split(".")[1] for i in imported if i.startswith("reconciler.")}
        assert own <= PURE | {"errors"}, f"{name} is pure but imports {own - PURE - {'errors'}}"
    if short.startswith("api"):
        assert "reconciler.model" not in imported, f"{name} must not import the model"
    if not short.startswith("cli") and short != "__main__":
        assert not any(i.startswith("reconciler.cli") for i in imported), f"{name} imports cli"
    assert "tests" not in tops, f"{name} imports tests"
    if short.startswith("sandbox"):
        own = {i for i in imported if i.startswith("reconciler.")}
        assert all(i.startswith("reconciler.sandbox") for i in own), (
            f"{name}: the sandbox shares no code with the rest ({own})"
        )
    else:
        assert not any(i.startswith("reconciler.sandbox") for i in imported) or short.startswith(
            ("cli", "workflow", "target")
        ), f"{name} must not import the sandbox"
