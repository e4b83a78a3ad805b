"""Parquet files: already typed; read as text so every source follows one set of rules."""

from __future__ import annotations

from pathlib import Path

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine, quote_literal
from lakebox.engine.duckdb import quote_identifier
from lakebox.formatted.readers import RawInput, register, unique_names


@register("parquet")
def read_parquet(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a Parquet file, its values cast to text."""
    scan = f"read_parquet({quote_literal(str(path))}, file_row_number=true)"
    described = engine.execute(f"DESCRIBE SELECT * EXCLUDE (file_row_number) FROM {scan}")
    originals = [row[0] for row in described.fetchall()]
    names = unique_names(originals)
    columns = ", ".join(
        f"{_as_text(original)} AS {quote_identifier(name)}"
        for original, name in zip(originals, names, strict=True)
    )
    select = (
        f"SELECT {columns}, file_row_number + 1 AS _ordinal, file_row_number + 1 AS _line "
        f"FROM {scan}"
    )
    return RawInput(select, names)


def _as_text(column: str) -> str:
    quoted = quote_identifier(column)
    return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE {quoted}::VARCHAR END"
