"""The import rules of the architecture: pure core, one-way data flow, the sandbox apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

PURE = {"model", "planner", "plan", "render", "bodies", "apply", "safetext"}
IO_LIBS = {"httpx", "yaml", "click", "jsonschema", "asyncio", "starlette", "uvicorn"}
#: The apply engine schedules changes with asyncio tasks; it still does no IO of its own.
SCHEDULES = {"apply": {"asyncio"}}


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
        io = tops & IO_LIBS - SCHEDULES.get(short, set())
        assert not io, f"{name} is pure but imports {io}"
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
            ("cli", "workflow")
        ), f"{name} must not import the sandbox"


#: Where a client is opened (``open_client``, or the ``connect`` seam that stands for it).
OPENS_A_CLIENT = ("open_client", "connect")
#: The packages whose functions are kept short (a function over this many lines is a module
#: that has not been written yet).
SHORT = ("planner", "apply", "workflow", "cli", "operations")
MAX_FUNCTION_LINES = 60


def _calls(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_only_workflow_opens_a_client_and_only_cli_reads_the_environment(
    name: str, path: Path
) -> None:
    short = name.removeprefix("reconciler.")
    tree = ast.parse(path.read_text())
    if not short.startswith(("workflow", "sandbox")):
        opened = _calls(tree) & set(OPENS_A_CLIENT)
        assert not opened, f"{name} opens a client ({opened}): only reconciler.workflow does"
    if not short.startswith("cli"):
        environ = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ("environ", "getenv", "environb", "putenv")
        ]
        assert not environ, f"{name} reads the environment (lines {environ}): only cli does"


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_functions_are_short(name: str, path: Path) -> None:
    if not name.removeprefix("reconciler.").startswith(SHORT):
        return
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{name}: over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


def _module_level_imports(path: Path, module: str) -> set[str]:
    """What ``module`` imports when it is loaded (not inside functions, not for typing)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            names.add(target)
            names.update(f"{target}.{a.name}" for a in node.names)
    return names


def test_no_module_level_import_cycle() -> None:
    """Modules import each other one way (a package imports its own modules, which do not
    import it back)."""
    known = {name for name, _ in modules()}
    graph: dict[str, set[str]] = {}
    for name, path in modules():
        imported = _module_level_imports(path, name)
        graph[name] = {i for i in imported if i in known and i != name}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
