"""docs/interop.md is tested: its Python examples parse, their lakebox imports resolve, and
their calls of `run_pipeline` and uses of its report name what the API has. Airflow and
Dagster are not dependencies: their imports are parsed, never executed."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

from lakebox.orchestration.pipeline import run_pipeline
from lakebox.orchestration.report import RunReport

DOC = Path(__file__).resolve().parent.parent / "docs" / "interop.md"


def python_blocks() -> list[str]:
    """Return the text of every ```python block of docs/interop.md, in order."""
    text = DOC.read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def parsed_blocks() -> list[ast.Module]:
    """Return every python block of the page, parsed (a syntax error fails here)."""
    return [
        ast.parse(block, filename=f"{DOC.name}[{n}]") for n, block in enumerate(python_blocks())
    ]


def lakebox_imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    """Return each lakebox import of `tree` as (module, the names taken from it)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lakebox":
            found.append((node.module or "", [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "lakebox"]
    return found


def calls_of(tree: ast.AST, name: str) -> list[ast.Call]:
    """Return the calls of `name` (a bare name or an attribute) in `tree`."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)
    ]


def test_the_page_has_python_examples() -> None:
    assert len(python_blocks()) >= 3


@pytest.mark.parametrize("number", range(len(python_blocks())), ids=lambda n: f"block{n}")
def test_every_block_is_valid_python(number: int) -> None:
    assert ast.parse(python_blocks()[number], filename=f"{DOC.name}[{number}]").body


def test_every_lakebox_import_resolves() -> None:
    imports = [item for tree in parsed_blocks() for item in lakebox_imports(tree)]
    assert imports, "the examples import nothing from lakebox"
    missing = []
    for module_name, names in imports:
        module = importlib.import_module(module_name)
        missing += [f"{module_name}.{name}" for name in names if not hasattr(module, name)]
    assert missing == []


def test_run_pipeline_is_called_with_its_own_keywords() -> None:
    calls = [call for tree in parsed_blocks() for call in calls_of(tree, "run_pipeline")]
    assert calls, "the examples never call run_pipeline"
    parameters = inspect.signature(run_pipeline).parameters
    unknown = [k.arg for call in calls for k in call.keywords if k.arg not in parameters]
    assert unknown == []
    assert all(len(call.args) <= len(parameters) for call in calls)


def test_the_report_attributes_used_exist() -> None:
    known = {field.name for field in dataclasses.fields(RunReport)} | set(dir(RunReport))
    used = {
        node.attr
        for tree in parsed_blocks()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "report"
    }
    assert used and sorted(used - known) == []
