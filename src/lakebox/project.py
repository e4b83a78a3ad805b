"""Project folders: create a starter project, add sources to its `lakebox.yaml`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from lakebox import config as config_module
from lakebox.config import PROJECT_FILE, SourceConfig
from lakebox.errors import ConfigError


def init(project_dir: Path, name: str | None = None) -> Path:
    """Write a commented starter project into `project_dir`; return the project file."""
    path = project_dir / PROJECT_FILE
    if path.exists():
        raise ConfigError(f"{path} exists already", hint="edit it, or choose another folder")
    project_dir.mkdir(parents=True, exist_ok=True)
    template = resources.files("lakebox").joinpath("templates/lakebox.yaml").read_text("utf-8")
    path.write_text(template.replace("my-lakehouse", name or project_dir.resolve().name))
    (project_dir / "models").mkdir(exist_ok=True)
    return path


def add_source(project_dir: Path, name: str, source: SourceConfig) -> None:
    """Add source `name` to the project file (the file is validated before it is written)."""
    path = project_dir / PROJECT_FILE
    current = config_module.load(project_dir)
    if name in current.sources:
        raise ConfigError(f"{path}: source {name!r} exists already", hint="edit it in the file")
    block = yaml.safe_dump(
        {name: source.model_dump(exclude_defaults=True, mode="json")}, sort_keys=False
    )
    text = _with_source(path.read_text(encoding="utf-8"), block)
    config_module.parse(text, str(path), project_dir)
    path.write_text(text, encoding="utf-8")


def _with_source(text: str, block: str) -> str:
    """Return the project text with `block` appended under the top-level `sources:` key."""
    indented = "".join(f"  {line}\n" for line in block.splitlines())
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.startswith("sources:"):
            lines[number] = "sources:\n"
            end = _end_of_block(lines, number + 1)
            return "".join([*lines[:end], indented, *lines[end:]])
    return text.rstrip("\n") + "\n\nsources:\n" + indented


def _end_of_block(lines: list[str], start: int) -> int:
    """Return the index after the last indented (non-comment) line of a top-level block."""
    end = start
    for number in range(start, len(lines)):
        line = lines[number]
        if line.strip() and not line.startswith((" ", "\t", "#")):
            break
        if line.startswith((" ", "\t")) and line.strip():
            end = number + 1
    return end
