"""JSON documents and NDJSON: one record per object, nested objects flattened or kept."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.errors import ReaderLimitError
from lakebox.formatted.readers import json_numbers, long_lines, nesting
from lakebox.formatted.readers.base import (
    RawInput,
    check_width,
    normalise_name,
    register,
    unique_names,
)
from lakebox.ground.sql import quote_identifier, quote_literal

MAX_LINE_SIZE = 16 * 1024 * 1024
_VALID_OBJECT = "coalesce(CASE WHEN json_valid(_text) THEN json_type(_text) END = 'OBJECT', false)"
# a valid object whose numbers a DOUBLE holds as written (see json_numbers)
_USABLE = f"({_VALID_OBJECT} AND _number IS NULL)"
_TABLES = itertools.count(1)


@register("ndjson")
def read_ndjson(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a newline-delimited JSON file; a malformed line is refused."""
    path, long = long_lines.set_aside(path, MAX_LINE_SIZE - 1, b"-", scratch / "long_lines.ndjson")
    nesting.check(path, source.limits.json_depth, per_line=True)
    lines = (
        f"SELECT * FROM (SELECT line AS _text, row_number() OVER () AS _ordinal FROM "
        f"{lines_scan([path])}) WHERE {NOT_BLANK}"
    )
    raw = from_texts(engine, lines, source, path)
    if long:  # each long line's placeholder is refused as malformed; say why it really is
        key = "an NDJSON line has"
        raw.rejects_sql = long_lines.relabel(raw.rejects_sql or "", long, MAX_LINE_SIZE - 1, key)
        raw.temporary.append(path)
    return raw


NOT_BLANK = "trim(coalesce(_text, '')) <> ''"  # an NDJSON line that holds a record


def lines_scan(paths: list[Path], filename: str | None = None) -> str:
    """Return a read of the lines of the NDJSON files at `paths` as column `line`, in file
    order (with `filename`: each line's file in a column of that name)."""
    files = ", ".join(quote_literal(str(path)) for path in paths)
    named = f", filename={quote_literal(filename)}" if filename else ""
    return (
        f"read_csv([{files}], auto_detect=false, columns={{'line': 'VARCHAR'}}, header=false, "
        f"delim='\\x1e', quote='', escape='', ignore_errors=true, "
        f"max_line_size={MAX_LINE_SIZE}{named})"
    )


@register("json")
def read_json(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a JSON document: an array of objects, or one object."""
    nesting.check(path, source.limits.json_depth, per_line=False)
    texts = (
        f"SELECT json::VARCHAR AS _text, row_number() OVER () AS _ordinal FROM "
        f"read_json_objects({quote_literal(str(path))}, format='auto', "
        f"maximum_object_size={MAX_LINE_SIZE})"
    )
    return from_texts(engine, texts, source, path)


def from_texts(
    engine: DuckDBEngine,
    texts_sql: str,
    source: SourceConfig,
    path: Path,
    carried: tuple[str, ...] = (),
) -> RawInput:
    """Split JSON texts (`_text`, `_ordinal` and optionally `_line`, else the ordinal is the
    line) of the file at `path` into valid objects, as columns, and refused texts: malformed
    JSON, not an object, or holding a number a DOUBLE cannot hold as written (see
    `json_numbers`); a file of more columns than limits.columns is refused before they are
    extracted. The `carried` columns of the texts go along with both (several files' texts
    read together: which file each came from)."""
    name = f"json_{next(_TABLES)}"
    checked = json_numbers.checked_sql(texts_sql)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {checked}")
    described = engine.execute(f"DESCRIBE {name}").fetchall()
    line = "_line" if any(row[0] == "_line" for row in described) else "_ordinal"
    structure = _structure(engine, name)
    paths = _leaf_paths(structure, (), source.nested == "flatten")
    try:
        check_width(path, len(paths), source.limits.columns)
    except ReaderLimitError:
        engine.execute(f"DROP TABLE IF EXISTS {name}")
        raise
    names = unique_names([".".join(path) for path in paths])
    # one extraction of every path: each text is parsed once, however many columns it has
    columns = ", ".join(
        f"_values[{index}] AS {quote_identifier(column)}"
        for index, column in enumerate(names, start=1)
    )
    valid = _USABLE
    leading = f"{columns}, " if columns else ""
    carry = "".join(f", {quote_identifier(column)}" for column in carried)
    select = (
        f"SELECT {leading}_ordinal, _line{carry} FROM (SELECT {_extract_all(paths)} AS "
        f"_values, _ordinal, {line} AS _line{carry} FROM {name} WHERE {valid})"
    )
    rejects = (
        f"SELECT {line} AS _line{carry}, NULL AS _column, CASE WHEN NOT json_valid(_text) THEN "
        f"'malformed JSON' WHEN NOT {_VALID_OBJECT} THEN 'not a JSON object' ELSE _number END "
        f"AS _reason, _text AS _raw "
        f"FROM {name} WHERE NOT ({valid})"
    )
    hints = _struct_types(engine, structure, paths, names) if source.nested == "struct" else {}
    return RawInput(
        select,
        names,
        rejects,
        type_hints=hints,
        temp_tables=[name],
        read_with={"nested": source.nested},
    )


def names_clash(engine: DuckDBEngine, raw: RawInput, source: SourceConfig) -> bool:
    """Return whether the keys of the texts `raw` read (several files' together) may name
    their columns otherwise than each file alone: two keys normalised to one name (suffixed
    _2 together, one column alone), or a key named by its place (nothing left of it)."""
    paths = _leaf_paths(_structure(engine, raw.temp_tables[0]), (), source.nested == "flatten")
    keys = [".".join(path) for path in paths]
    names = {normalise_name(key, 0) for key in keys}
    placed = any(normalise_name(key, 0) != normalise_name(key, 1) for key in keys)
    return placed or len(names) < len(keys)


def keyless(engine: DuckDBEngine, raw: RawInput, source: SourceConfig, column: str) -> set[str]:
    """Return the files (carried in `column` of the texts `raw` read) no valid object of
    which gives a column: read alone, such a file has no readable record."""
    rows = engine.execute(
        f"SELECT {quote_identifier(column)}, {_GROUP_STRUCTURE} FROM {raw.temp_tables[0]} "
        "GROUP BY ALL"
    ).fetchall()
    flatten = source.nested == "flatten"
    return {file for file, found in rows if not _leaf_paths(_parsed(found), (), flatten)}


_GROUP_STRUCTURE = f"json_group_structure(CASE WHEN {_USABLE} THEN _text END::JSON)::VARCHAR"


def _structure(engine: DuckDBEngine, table: str) -> dict[str, object]:
    row = engine.execute(f"SELECT {_GROUP_STRUCTURE} FROM {table}").fetchone()
    return _parsed(row[0] if row else None)


def _parsed(structure: str | None) -> dict[str, object]:
    parsed = json.loads(structure) if structure else {}
    return parsed if isinstance(parsed, dict) else {}


def _struct_types(
    engine: DuckDBEngine,
    structure: dict[str, object],
    paths: list[tuple[str, ...]],
    names: list[str],
) -> dict[str, str]:
    """Return the STRUCT or LIST type of each column kept nested, as DuckDB infers it."""
    hints = {}
    for path, name in zip(paths, names, strict=True):
        shape = structure.get(path[-1]) if len(path) == 1 else None
        if isinstance(shape, dict | list):
            row = engine.execute(
                "SELECT typeof(json_transform('{}', ?))", [json.dumps(shape)]
            ).fetchone()
            hints[name] = _iceberg_friendly(row[0]) if row else "JSON"
    return hints


def _iceberg_friendly(type_name: str) -> str:
    """Unsigned and 128-bit integers have no Iceberg type; untyped nulls become text."""
    type_name = re.sub(r"\b(UBIGINT|UINTEGER|USMALLINT|UTINYINT)\b", "BIGINT", type_name)
    type_name = re.sub(r"\b(HUGEINT|UHUGEINT)\b", "DOUBLE", type_name)
    return re.sub(r"\b(JSON|NULL)\b", "VARCHAR", type_name)


def _leaf_paths(
    structure: dict[str, object], prefix: tuple[str, ...], flatten: bool
) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for key, value in structure.items():
        path = (*prefix, key)
        if flatten and isinstance(value, dict):
            paths.extend(_leaf_paths(value, path, flatten))
        else:
            paths.append(path)
    return paths


def _extract_all(paths: list[tuple[str, ...]]) -> str:
    """Return SQL giving the text at each of `paths` (a list, in order) of JSON text `_text`."""
    pointers = ", ".join(
        quote_literal("$" + "".join("." + json.dumps(part) for part in path)) for path in paths
    )
    return f"json_extract_string(_text, [{pointers}]::VARCHAR[])" if paths else "NULL"
