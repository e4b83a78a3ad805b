"""The packages of src/lakebox import one way, from the CLI down to the ground floor.

`LAYERS` below is the order that docs/architecture.md describes: a module may import modules of
its own package and of packages in lower layers, never a higher one, and no set of modules may
import each other round in a cycle. Every import counts, also one inside a function; only
imports under `if TYPE_CHECKING:` are left out, since they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

# Bottom to top. Names on one line are one layer: they may not import each other at all.
LAYERS = [
    "errors redaction ground",
    "config",
    "storage",
    "catalog",
    "engine",
    "project",
    "lakehouse",
    "access",
    "tables",
    "maintenance",
    "landing",
    "formatted",
    "quality",
    "exploitation",
    "integration",
    "analysis",
    "orchestration",
    "monitoring",
    "stream",
    "governance",
    "serving",
    "demo",
    "cli",
]
# The ground floor's modules may use each other: these layers are open inside.
OPEN_LAYERS = {"errors redaction ground"}
# `lakebox` itself is the public face: its lazy `__getattr__` hands out `Lakehouse`.
FACADES = {"lakebox"}


def modules(src: Path) -> dict[str, Path]:
    """Map every module's dotted name under `src/lakebox` to its file."""
    found = {}
    for path in sorted((src / "lakebox").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Yield every import that can run: nested ones too, not those under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child.test):
                stack.extend(child.orelse)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            stack.append(child)


def _owner(name: str, known: dict[str, Path]) -> str | None:
    """The longest known module that `name` falls in (`a.b.C` -> `a.b`)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = module.split(".") if _is_package(path) else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    for alias in node.names:
        yield f"{prefix}.{alias.name}"


def import_graph(src: Path) -> dict[str, set[str]]:
    """Module -> the lakebox modules it imports."""
    known = modules(src)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node, name, path):
                owner = _owner(target, known) if target.startswith("lakebox") else None
                if owner and owner != name:
                    graph[name].add(owner)
    return graph


def _layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for rank, layer in enumerate(LAYERS):
        if parts[1] in layer.split():
            return rank
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """`a -> b` for every import of a higher layer, or of a sibling in a closed layer."""
    found = []
    for module, targets in sorted(graph.items()):
        if module in FACADES:
            continue
        low = _layer_of(module)
        for target in sorted(targets):
            high = _layer_of(target)
            if low is None or high is None:
                found.append(f"{module} -> {target} (not in any layer)")
            elif module.split(".")[1] == target.split(".")[1]:
                continue
            elif high > low or (high == low and LAYERS[low] not in OPEN_LAYERS):
                found.append(f"{module} -> {target} ({LAYERS[low]!r} under {LAYERS[high]!r})")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected sets of two or more modules (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


# -- the contract on src/lakebox -------------------------------------------------------------


def test_no_module_imports_a_higher_layer() -> None:
    upward = upward_imports(import_graph(SRC))
    assert not upward, "imports that run upward:\n" + "\n".join(upward)


def test_no_modules_import_each_other_in_a_cycle() -> None:
    found = cycles(import_graph(SRC))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_every_package_has_a_layer() -> None:
    packages = {name.split(".")[1] for name in modules(SRC) if name.count(".")}
    placed = {name for layer in LAYERS for name in layer.split()}
    assert packages - {"__main__"} <= placed, sorted(packages - placed)


# -- the checker itself finds what it is meant to find ----------------------------------------


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "lakebox" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "text",
    [
        "from lakebox.cli.render import dump\n",
        "import lakebox.cli.render\n",
        "def late():\n    from lakebox.cli import render\n",
        "from ..cli import render\n",
    ],
)
def test_a_planted_upward_import_is_found(tmp_path: Path, text: str) -> None:
    src = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "config/__init__.py": text,
            "cli/__init__.py": "",
            "cli/render.py": "def dump(): ...\n",
        },
    )
    assert upward_imports(import_graph(src)) == [
        "lakebox.config -> lakebox.cli.render ('config' under 'cli')"
    ]


def test_a_type_checking_import_is_left_out(tmp_path: Path) -> None:
    src = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "engine/__init__.py": "if TYPE_CHECKING:\n    from lakebox.cli import app\n",
            "cli/__init__.py": "",
            "cli/app.py": "",
        },
    )
    assert upward_imports(import_graph(src)) == []


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    src = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "landing/__init__.py": "",
            "landing/a.py": "from lakebox.landing import b\n",
            "landing/b.py": "def f():\n    from lakebox.landing.c import g\n",
            "landing/c.py": "from lakebox.landing.a import x\n",
        },
    )
    assert cycles(import_graph(src)) == [
        ["lakebox.landing.a", "lakebox.landing.b", "lakebox.landing.c"]
    ]
