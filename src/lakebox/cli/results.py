"""Writes a query result as a table, CSV, JSON or Parquet."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lakebox.cli import render
from lakebox.cli.render import Output
from lakebox.errors import ConfigError
from lakebox.ground.json import json_default

FORMATS = ("table", "csv", "json", "parquet")


def write_result(result: pa.Table, output_format: str, out: Path | None) -> None:
    """Write `result` in `output_format` to `out`, or to stdout."""
    if output_format not in FORMATS:
        raise ConfigError(f"--format {output_format!r} is not one of {', '.join(FORMATS)}")
    if output_format == "table" and out is not None:
        raise ConfigError("--output needs --format csv, json or parquet")
    if output_format == "parquet" and out is None and sys.stdout.isatty():
        raise ConfigError("Parquet is binary: give --output FILE, or pipe stdout to a file")
    if output_format == "table":
        render.arrow_table(Output(), result)
    elif output_format == "parquet":
        pq.write_table(result, out or sys.stdout.buffer)
    elif output_format == "csv":
        pacsv.write_csv(result, out or sys.stdout.buffer)
    else:
        from lakebox.engine.values import python_rows

        text = json.dumps(python_rows(result), default=json_default, indent=2)
        if out:
            out.write_text(text + "\n", encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")
