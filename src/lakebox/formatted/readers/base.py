"""What every reader shares: the `RawInput` it gives, the registry each reader enters itself in
(`register`), the format a landed file has (`format_of`) and the header names it normalises
(`unique_names`). Readers import this module; the package's `read` imports the readers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.errors import FormatError, ReaderLimitError

TypedScan = Callable[[dict[str, str], list[str]], tuple[str, str]]


@dataclass
class RawInput:
    """A parsed file: its good records as VARCHAR columns, and its refused records."""

    select_sql: str
    columns: list[str]
    rejects_sql: str | None = None
    sample_sql: str | None = None  # a SELECT for schema inference, when select_sql has effects

    temporary: list[Path] = field(default_factory=list)
    temp_tables: list[str] = field(default_factory=list)
    header_lines: int = 0
    has_sheet: bool = False  # the select has a `_sheet` column (workbooks)
    type_hints: dict[str, str] = field(default_factory=dict)  # types the file itself knows
    # True (CSV): the select gives neither `_ordinal` nor `_line`; the formatter numbers the
    # records in file order and maps them to lines past the records the parser refused.
    ordinal_is_line: bool = False
    # the settings the file was read with (encoding, delimiter, sheets …), and those of them
    # the reader found in the file itself; the others come from the source's config or its
    # defaults (`read_settings` tells them apart)
    read_with: dict[str, object] = field(default_factory=dict)
    detected: set[str] = field(default_factory=set)
    # CSV: the same records parsed with DuckDB's types (column → type, the others VARCHAR)
    # and these null strings, as (SELECT of the columns, SELECT of the refused records)
    typed_scan: TypedScan | None = None

    def cleanup(self, engine: DuckDBEngine) -> None:
        """Remove the temporary files and DuckDB temp tables the reader made."""
        for path in self.temporary:
            path.unlink(missing_ok=True)
        for table in self.temp_tables:
            engine.execute(f"DROP TABLE IF EXISTS {table}")


Reader = Callable[[DuckDBEngine, Path, SourceConfig, Path], RawInput]
READERS: dict[str, Reader] = {}
EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}


# the source setting behind a reader setting of another name
_CONFIG_FIELDS = {"header_row": "header", "header_rows": "header"}


def read_settings(raw: RawInput, path: Path, source: SourceConfig) -> dict[str, dict[str, object]]:
    """Return how a landed file was read: each setting (its format first) with its value and
    origin — `detected` in the file (the format: from its extension), `configured` on the
    source, or the reader's `default`."""
    settings = {"format": format_of(path, source), **raw.read_with}
    detected = raw.detected | ({"format"} if source.kind != "http" and not source.format else set())
    chosen = source.model_fields_set | ({"format"} if source.kind == "http" else set())
    return {
        name: {"value": value, "origin": _origin(name, detected, chosen)}
        for name, value in settings.items()
    }


def _origin(name: str, detected: set[str], chosen: set[str]) -> str:
    if name in detected:
        return "detected"
    return "configured" if _CONFIG_FIELDS.get(name, name) in chosen else "default"


def register(name: str) -> Callable[[Reader], Reader]:
    """Register a reader for format `name`."""

    def decorate(reader: Reader) -> Reader:
        READERS[name] = reader
        return reader

    return decorate


def format_of(path: Path, source: SourceConfig) -> str:
    """Return the format of `path`: declared by the source, else from its extension (an
    HTTP source's landed pages have their own format)."""
    if source.kind == "http":
        return "http"
    if source.format:
        return source.format
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise FormatError(
            f"{path.name}: cannot tell the format from the extension {suffix!r}",
            hint="set 'format:' on the source (csv, tsv, json, ndjson, parquet, excel)",
            file=str(path),
        )
    return EXTENSIONS[suffix]


def check_width(path: Path, width: int, cap: int) -> None:
    """Raise ReaderLimitError if a file has more than `cap` columns (limits.columns): a
    parser and the schema inference after it grow with every column, so a file of 100,000
    is refused before either runs."""
    if width > cap:
        raise ReaderLimitError(
            f"{path.name}: the file has {width:,} columns, past the cap of {cap:,} "
            "(limits.columns)",
            hint="split the export, or raise the source's limits.columns",
            file=str(path),
        )


def normalise_name(name: str, position: int) -> str:
    """Return a header as a snake_case column name (`column_<n>` when empty)."""
    cleaned = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip()).strip("_").lower()
    if not cleaned:
        return f"column_{position + 1}"
    return f"c_{cleaned}" if cleaned[0].isdigit() else cleaned


def unique_names(names: list[str]) -> list[str]:
    """Return `names` normalised, with repeats suffixed _2, _3 …"""
    seen: dict[str, int] = {}
    result = []
    for position, name in enumerate(names):
        base = normalise_name(name, position)
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return result
