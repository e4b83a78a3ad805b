"""The one way lakebox reads YAML (`lakebox.yaml`, dashboards, model files and headers):
bounded before anything is built from it.

YAML aliases let a few hundred bytes stand for billions of values (a "billion laughs": each
anchor a list or merge of the one before). PyYAML composes aliases as shared nodes, but
merging (`<<: [*a, *a]`) copies them, and any later walk of the data (validation, `${VAR}`
expansion) meets every copy. So a document is refused, naming its line, when its nodes counted
with every alias expanded pass `MAX_YAML_NODES`, when it nests deeper than `MAX_YAML_DEPTH`,
or when an alias refers back to a mapping or list that holds it; all before it is built. A key
given twice is refused too (`yaml_lines.refuse_repeated_keys`). Errors are ConfigErrors that
name the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lakebox.config.yaml_lines import refuse_repeated_keys
from lakebox.errors import ConfigError

MAX_YAML_BYTES = 2 * 1024**2  # a file this long is not a hand-written config
MAX_YAML_NODES = 100_000  # every mapping, list, key and value, aliases expanded
MAX_YAML_DEPTH = 64  # mappings and lists inside each other
_ALIAS_HINT = (
    "write the repeated part out instead of sharing it through anchors (&) and aliases (*)"
)
_SIZE_HINT = "split the file, or keep data out of configuration files"


@dataclass(frozen=True)
class YamlDocument:
    """A document read: its data as `yaml.safe_load` gives it, and its composed tree, whose
    nodes know their lines (None for an empty document)."""

    data: Any
    node: yaml.Node | None


class _Refused(Exception):
    """A bound passed while composing; turned into a ConfigError with the file's name."""

    def __init__(self, message: str, hint: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = mark.line + 1


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that counts the nodes it composes and how deep they nest."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._composed = 0
        self._open: list[str | None] = []  # the anchors of the nodes being composed

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        self._check(event)
        self._open.append(None if isinstance(event, yaml.AliasEvent) else event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()

    def _check(self, event: yaml.Event) -> None:
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent) and event.anchor in self._open:
            message = f"the alias *{event.anchor} refers back to a mapping or list that holds it"
            raise _Refused(message, _ALIAS_HINT, mark)
        self._composed += 1
        if self._composed > MAX_YAML_NODES:
            message = f"the document holds more than {MAX_YAML_NODES:,} values"
            raise _Refused(f"{message} {_at_most()}", _SIZE_HINT, mark)
        if len(self._open) >= MAX_YAML_DEPTH:
            message = f"nested too deeply (lakebox reads at most {MAX_YAML_DEPTH} levels)"
            raise _Refused(message, _SIZE_HINT, mark)


def read_yaml_file(path: Path) -> YamlDocument:
    """Return the YAML document in the file at `path` (at most MAX_YAML_BYTES long)."""
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise ConfigError(
            f"{path}: {size:,} bytes is too long for a YAML file lakebox reads "
            f"(at most {MAX_YAML_BYTES:,})",
            hint="split it, or keep data out of configuration files",
            file=str(path),
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{path}:{line}: not valid UTF-8 (byte {raw[error.start]:#04x})",
            hint="save the file as UTF-8",
            file=str(path),
            line=line,
        ) from None
    return read_yaml(text, str(path))


def read_yaml(text: str, filename: str) -> YamlDocument:
    """Return the YAML document in `text`; refuse it, naming `filename` and the line, when it
    is not valid YAML, passes a bound or gives a key twice."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(
            f"{filename}: {len(text):,} characters is too long for YAML lakebox reads "
            f"(at most {MAX_YAML_BYTES:,})",
            file=filename,
        )
    loader = _BoundedLoader(text)
    try:
        node = _composed(loader, filename)
        if node is None:
            return YamlDocument(None, None)
        refuse_expansion(node, filename)
        refuse_repeated_keys(node, filename)
        return YamlDocument(_constructed(loader, node, filename), node)
    finally:
        loader.dispose()


def _composed(loader: _BoundedLoader, filename: str) -> yaml.Node | None:
    try:
        return loader.get_single_node()
    except _Refused as refused:
        raise _bound_error(filename, refused.line, "", refused.message, refused.hint) from None
    except yaml.YAMLError as error:
        raise _invalid(error, filename) from error


def _constructed(loader: _BoundedLoader, node: yaml.Node, filename: str) -> Any:
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as error:  # an unhashable key, a bad timestamp, an unknown tag …
        raise _invalid(error, filename) from error


def _invalid(error: yaml.YAMLError, filename: str) -> ConfigError:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark else None
    problem = getattr(error, "problem", None) or error
    return ConfigError(
        f"{filename}:{line or '?'}: not valid YAML ({problem})", file=filename, line=line
    )


def refuse_expansion(root: yaml.Node, filename: str) -> None:
    """Raise ConfigError naming the line of the first mapping or list that, its aliases
    expanded, holds more than MAX_YAML_NODES nodes, or that holds itself. Each node is
    counted once (what an alias shares is sized once), so this costs the composed size."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # the node being sized and those holding it
    pending: list[tuple[yaml.Node, str, bool]] = [(root, "", False)]
    while pending:
        node, where, children_sized = pending.pop()
        if children_sized:
            open_nodes.discard(id(node))
            sizes[id(node)] = _size(node, sizes, filename, where)
        elif id(node) in open_nodes:
            line = node.start_mark.line + 1
            message = "an alias refers back to a mapping or list that holds it"
            raise _bound_error(filename, line, where, message, _ALIAS_HINT)
        elif id(node) not in sizes:
            open_nodes.add(id(node))
            pending.append((node, where, True))
            children = _children(node, where)  # taken in document order: an anchor's
            pending += [(child, at, False) for child, at in reversed(children)]  # own path


def _size(node: yaml.Node, sizes: dict[int, int], filename: str, where: str) -> int:
    size = 1 + sum(sizes[id(child)] for child, _ in _children(node, where))
    if size > MAX_YAML_NODES:
        line = node.start_mark.line + 1
        message = f"aliases expand this to more than {MAX_YAML_NODES:,} values {_at_most()}"
        raise _bound_error(filename, line, where, message, _ALIAS_HINT)
    return size


def _children(node: yaml.Node, where: str) -> list[tuple[yaml.Node, str]]:
    if isinstance(node, yaml.SequenceNode):
        return [(item, f"{where}[{index}]") for index, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        pairs = [(key, value, _key_path(where, key)) for key, value in node.value]
        return [(part, at) for key, value, at in pairs for part in (key, value)]
    return []


def _key_path(where: str, key: yaml.Node) -> str:
    name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
    return f"{where}.{name}" if where else name


def _at_most() -> str:
    return f"(lakebox reads at most {MAX_YAML_NODES:,} in one YAML document, aliases expanded)"


def _bound_error(filename: str, line: int, where: str, message: str, hint: str) -> ConfigError:
    at = f"{where}: " if where else ""
    return ConfigError(
        f"{filename}:{line}: {at}{message}",
        hint=hint,
        file=filename,
        line=line,
        field=where or None,
    )
