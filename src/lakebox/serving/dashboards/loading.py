"""Reading `dashboards/*.yaml`: each file validated on its own (errors name the file and
line), and re-read when it changes, so one broken dashboard never hides the others."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lakebox.config.yaml_loader import read_yaml
from lakebox.errors import ConfigError, DashboardError
from lakebox.serving.dashboards.references import problems
from lakebox.serving.dashboards.spec import CHART_KINDS, CHART_NAME, FILTER_KINDS, Dashboard

logger = logging.getLogger(__name__)
FOLDER = "dashboards"
HINT = "see docs/dashboards.md for every key"


@dataclass(frozen=True)
class Entry:
    """One dashboard file: its name (the file's stem) and either the dashboard or its error."""

    name: str
    path: Path
    dashboard: Dashboard | None = None
    error: DashboardError | None = None


def load(path: Path) -> Dashboard:
    """Return the validated dashboard in `path`, or raise DashboardError naming file:line."""
    if not CHART_NAME.match(path.stem):
        raise DashboardError(
            f"{path}: a dashboard's file name becomes its URL; use lower-case letters, "
            "digits, - and _ (e.g. store-traffic.yaml)",
            file=str(path),
        )
    return parse(path.read_text(encoding="utf-8"), str(path))


def parse(text: str, filename: str = "dashboard.yaml") -> Dashboard:
    """Return the dashboard in YAML `text`; errors name `filename` and the line at fault."""
    try:
        document = read_yaml(text, filename)  # bounded, a key given twice refused
    except ConfigError as error:
        line = error.fields.get("line")
        raise DashboardError(error.message, hint=error.hint, file=filename, line=line) from error
    data, node = document.data, document.node
    if not isinstance(data, dict):
        raise DashboardError(
            f"{filename}:1: a dashboard is a mapping with 'title' and 'charts'", hint=HINT
        )
    try:
        board = Dashboard.model_validate(data)
    except ValidationError as error:
        raise _validation_error(error, node, filename) from error
    found = problems(board)
    if found:
        raise _located(node, filename, *found[0])
    return board


class DashboardFolder:
    """The dashboards of a project's `dashboards/` folder, re-read when a file changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[Path, tuple[tuple[int, int], Entry]] = {}

    def entries(self) -> list[Entry]:
        """Return every dashboard file's entry, by name (a cheap stat per file)."""
        paths = sorted(self.directory.glob("*.yaml")) if self.directory.is_dir() else []
        self._cache = {path: self._cached(path) for path in paths if path.is_file()}
        return [entry for _, entry in self._cache.values()]

    def get(self, name: str) -> Entry | None:
        """Return the entry of dashboard `name`, if its file exists."""
        return next((entry for entry in self.entries() if entry.name == name), None)

    def _cached(self, path: Path) -> tuple[tuple[int, int], Entry]:
        status = path.stat()
        stamp = (status.st_mtime_ns, status.st_size)
        known = self._cache.get(path)
        if known is not None and known[0] == stamp:
            return known
        try:
            entry = Entry(path.stem, path, dashboard=load(path))
        except DashboardError as error:
            logger.warning("dashboard %s: %s", path.name, error)
            entry = Entry(path.stem, path, error=error)
        return stamp, entry


def _validation_error(
    error: ValidationError, node: yaml.Node | None, filename: str
) -> DashboardError:
    # a misspelt key also makes the right one "missing": name the misspelling first
    first = min(error.errors(), key=lambda item: item["type"] != "extra_forbidden")
    location = tuple(str(part) for part in first["loc"])
    kind, context = first["type"], first.get("ctx") or {}
    message = str(first["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = f"unknown key {location[-1]!r}"
    elif kind == "missing":
        message = f"missing required key {location[-1]!r}"
        location = location[:-1]
    elif kind == "union_tag_invalid":
        kinds = ", ".join(FILTER_KINDS)
        message = f"unknown filter kind {context.get('tag')!r}; use one of {kinds}"
        location = (*location, "kind")
    elif kind == "union_tag_not_found":
        message = f"missing required key 'kind' (one of {', '.join(FILTER_KINDS)})"
    elif kind == "literal_error" and location[-1:] == ("kind",):
        message = f"unknown chart kind {first['input']!r}; use one of {', '.join(CHART_KINDS)}"
    return _located(node, filename, location, message)


def _located(
    node: yaml.Node | None, filename: str, location: tuple[str, ...], message: str
) -> DashboardError:
    line, path = _line_of(node, location)
    where = ".".join(path) or "(top level)"
    return DashboardError(
        f"{filename}:{line or '?'}: {where}: {message}",
        hint=HINT,
        file=filename,
        line=line,
        field=where,
    )


def _line_of(node: yaml.Node | None, location: tuple[str, ...]) -> tuple[int | None, list[str]]:
    """Return the 1-based line of the deepest node along `location` that exists, and the
    parts of `location` found (pydantic adds a union's tag, e.g. 'select', which is not)."""
    line = node.start_mark.line + 1 if node is not None else None
    found: list[str] = []
    for part in location:
        child = _child(node, part)
        if child is None:
            continue
        key, node = child
        line = key.start_mark.line + 1
        found.append(part)
    return line, found


def _child(node: yaml.Node | None, part: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if str(k.value) == part), None)
    if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
        item: Any = node.value[int(part)]
        return item, item
    return None
