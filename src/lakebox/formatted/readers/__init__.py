"""Readers: each turns a landed file into raw VARCHAR columns plus the records it refused.

Every reader gives a `RawInput` (in `base`, with the registry): a SELECT over all-VARCHAR
columns with `_ordinal` (1-based record number in the file) and `_line` (the record's line or
row; CSV readers leave `_line` to the formatter, which maps ordinals past the refused
records), and a SELECT of the records the parser refused (`_line, _column, _reason, _raw`).
Together they hold every record. One module per format.
"""

from __future__ import annotations

from pathlib import Path

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.formatted.readers.base import READERS, RawInput, format_of


def read(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of the landed file at `path`."""
    from lakebox.formatted.readers import csv, excel, http, json, parquet  # noqa: F401

    return READERS[format_of(path, source)](engine, path, source, scratch)
