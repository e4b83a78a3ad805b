"""Errors that name the line of a YAML file at fault (lakebox.yaml, a dashboard, a model's
file): a key given twice, and pydantic's validation errors mapped back to the YAML node they
came from."""

from __future__ import annotations

import yaml
from pydantic import ValidationError

from lakebox.errors import ConfigError

_MERGE_TAG = "tag:yaml.org,2002:merge"
_MERGE = object()  # the identity of a merge key `<<`
_SCALARS = yaml.constructor.SafeConstructor()  # builds a key's value to compare it


def refuse_repeated_keys(root: yaml.Node | None, filename: str) -> None:
    """Raise ConfigError naming both lines if a mapping anywhere gives a key twice (YAML
    loaders keep the last silently, losing the first)."""
    seen: set[int] = set()  # an alias shares its node: walk each once
    pending: list[tuple[yaml.Node | None, str]] = [(root, "")]
    while pending:
        node, where = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending += [(item, f"{where}[{index}]") for index, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            _refuse_repeats_in(node, where, filename)
            pending += [(value, _path(where, key)) for key, value in node.value]


def _refuse_repeats_in(node: yaml.MappingNode, where: str, filename: str) -> None:
    first_lines: dict[object, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        line = key.start_mark.line + 1
        identity = _identity(key)
        if identity not in first_lines:
            first_lines[identity] = line
            continue
        at = f"{where}: " if where else ""
        first = first_lines[identity]
        raise ConfigError(
            f"{filename}:{line}: {at}{key.value!r} is given twice (first on line {first})",
            hint="merge them",
            file=filename,
            line=line,
            field=_path(where, key),
        )


def _identity(key: yaml.ScalarNode) -> object:
    """Return what the loaded mapping keys `key` by: `1` and `0x1`, `yes` and `true` are one
    key once loaded (and a merge key `<<` given twice is a repeat too)."""
    if key.tag == _MERGE_TAG:
        return _MERGE
    build = yaml.SafeLoader.yaml_constructors.get(key.tag)
    try:
        value = build(_SCALARS, key) if build else (key.tag, key.value)
        hash(value)
    except (yaml.YAMLError, TypeError, ValueError):  # loading it fails later, with its line
        return (key.tag, key.value)
    return value


def _path(where: str, key: yaml.Node) -> str:
    name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
    return f"{where}.{name}" if where else name


def config_error(error: ValidationError, node: yaml.Node | None, filename: str) -> ConfigError:
    """Return the ConfigError of pydantic's first error: `file:line: where: what`, with the
    line of the YAML node (`node` is the file's composed tree) the error points at."""
    # a misspelt key also makes the right one "missing": name the misspelling first
    first = min(error.errors(), key=lambda item: item["type"] != "extra_forbidden")
    location = tuple(str(part) for part in first["loc"])
    line = _line_of(node, location)
    where = ".".join(location) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"unknown key {location[-1]!r}"
    elif first["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    elif first["type"] == "missing":
        message = f"missing required key {location[-1]!r}"
        where = ".".join(location[:-1]) or "(top level)"
    return ConfigError(
        f"{filename}:{line or '?'}: {where}: {message}",
        hint="see docs/configuration.md for every key",
        file=filename,
        line=line,
        field=where,
    )


def _line_of(node: yaml.Node | None, location: tuple[str, ...]) -> int | None:
    """Return the 1-based line of the deepest node along `location` that exists (a number
    in `location` is an item of a list)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]  # an item of a list: its first line
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        match = next((pair for pair in node.value if str(pair[0].value) == part), None)
        if match is None:
            break
        line = match[0].start_mark.line + 1
        node = match[1]
    return line
