"""Parquet files: read as text so every source follows one set of rules, with the file's own
column types kept as the types of new columns (a database extract keeps its exact types)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.errors import FormatError
from lakebox.formatted.readers.base import RawInput, check_width, register, unique_names
from lakebox.ground.sql import quote_identifier, quote_literal


@register("parquet")
def read_parquet(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a Parquet file, its values cast to text."""
    check_width(path, _width(path), source.limits.columns)
    scan = f"read_parquet({quote_literal(str(path))}, file_row_number=true)"
    described = engine.execute(f"DESCRIBE SELECT * EXCLUDE (file_row_number) FROM {scan}")
    rows = described.fetchall()
    originals = [row[0] for row in rows]
    names = unique_names(originals)
    hints = {name: hint for name, row in zip(names, rows, strict=True) if (hint := _hint(row[1]))}
    columns = ", ".join(
        f"{_as_text(original)} AS {quote_identifier(name)}"
        for original, name in zip(originals, names, strict=True)
    )
    select = (
        f"SELECT {columns}, file_row_number + 1 AS _ordinal, file_row_number + 1 AS _line "
        f"FROM {scan}"
    )
    return RawInput(
        select, names, type_hints=hints, read_with={"file_types": hints}, detected={"file_types"}
    )


def _width(path: Path) -> int:
    """Return how many columns the file's footer declares (its top-level fields), read by
    Arrow in a second or two even for 100,000, where DuckDB's DESCRIBE takes minutes."""
    try:
        return len(pq.read_schema(path))
    except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise FormatError(
            f"{path.name}: not a readable Parquet file ({error})", file=str(path)
        ) from error


def _as_text(column: str) -> str:
    quoted = quote_identifier(column)
    return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE {quoted}::VARCHAR END"


_SAME = ("BIGINT", "INTEGER", "SMALLINT", "DOUBLE", "FLOAT", "BOOLEAN", "DATE", "VARCHAR")
_WIDER = {
    "TINYINT": "SMALLINT",
    "UTINYINT": "SMALLINT",
    "USMALLINT": "INTEGER",
    "UINTEGER": "BIGINT",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP",
    "UUID": "VARCHAR",
    "JSON": "JSON",
}


def _hint(duckdb_type: str) -> str | None:
    """Return the canonical type a Parquet column keeps, or None to infer it from values."""
    upper = duckdb_type.upper()
    if upper in _SAME:
        return upper
    if upper.startswith("DECIMAL(") and int(upper[8:].split(",")[0]) <= 38:
        return upper.replace(" ", "")
    return _WIDER.get(upper)
