"""The planner package stays pure: tests/test_layering.py checks top-level modules by name,
so every module of ``reconciler/planner/`` is checked here the same way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLANNER = Path(__file__).resolve().parents[2] / "reconciler" / "planner"
IO_LIBS = {"httpx", "yaml", "click", "jsonschema", "asyncio", "starlette", "uvicorn"}
#: What a pure planner module may import from the project.
ALLOWED = ("reconciler.model", "reconciler.plan", "reconciler.planner")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            assert node.module is not None
            names.add(node.module)
    return names


def test_the_planner_is_a_package() -> None:
    assert (PLANNER / "__init__.py").is_file()
    assert not PLANNER.with_suffix(".py").exists()


@pytest.mark.parametrize("path", sorted(PLANNER.glob("*.py")), ids=lambda p: p.name)
def test_planner_module_is_pure(path: Path) -> None:
    names = imported(path)
    assert not {n.split(".")[0] for n in names} & IO_LIBS
    own = {n for n in names if n.split(".")[0] == "reconciler"}
    assert all(n.startswith(ALLOWED) for n in own), own


def test_public_import_is_plan() -> None:
    from reconciler.planner import __all__, plan

    assert __all__ == ["plan"]
    assert callable(plan)
