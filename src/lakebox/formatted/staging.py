"""The SQL of the formatted zone's passes: the typed stage of a file, and the columns every
formatted and quarantined row carries."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lakebox.engine import DuckDBEngine
from lakebox.errors import FormatError
from lakebox.formatted import long_typing
from lakebox.formatted.rules import ColumnPlan, typed_ref
from lakebox.ground.sql import quote_identifier, quote_literal

# DuckDB binds a SELECT list of rule expressions in time that grows faster than its length
# (2,000 columns: minutes), and holds vectors for every expression of a statement at once
# (5,000 columns: past 2 GB for three rows); a wider file's columns are typed in parts of
# this many.
PART_COLUMNS = 20
_SOURCES = itertools.count(1)


def is_wide(columns: list[ColumnPlan]) -> bool:
    """Return whether a file's columns are typed in parts (see `write_typed`)."""
    return len(columns) > PART_COLUMNS


def write_typed(
    engine: DuckDBEngine, columns: list[ColumnPlan], kept: list[str], source: str, target: Path
) -> None:
    """Write typed_select's rows over `source` into the Parquet file `target`, in the order
    of the `kept` columns (which identify a record) when the file is wide.

    A wide file is typed part by part, each part a statement of its own writing a file of
    its columns, and the parts' files are then put side by side, batch by batch: memory
    and time grow with the width, never faster."""
    if not is_wide(columns):
        engine.execute(f"COPY ({typed_select(columns, kept, source)}) TO {file_sql(target)} {LZ4}")
        return
    table = f"wide_source_{next(_SOURCES)}"
    engine.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {source}")
    read_as = dict(
        engine.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()
    )
    grouped, others = long_typing.groups(columns, PART_COLUMNS, read_as)
    places = {column.name: index for index, column in enumerate(columns)}
    files: list[Path] = []
    try:
        for group in grouped:
            files.append(target.with_name(f"{target.stem}.part{len(files)}.parquet"))
            long_typing.write_group(engine, group, kept, table, len(files) - 1, files[-1])
        for part in _parts([columns[index] for index in others]):
            number = len(files)
            files.append(target.with_name(f"{target.stem}.part{number}.parquet"))
            select = _typed_part(part, kept, table, raws=True)
            first = " ".join(f"WHEN {quote_literal(c.name)} THEN {places[c.name]}" for c in part)
            engine.execute(
                f"COPY (SELECT * RENAME (_reason AS _reason_{number}, _column AS "
                f"_column_{number}), CASE _column {first} END AS _first_{number} "
                f"FROM ({select}) ORDER BY {', '.join(kept)}) TO {file_sql(files[-1])} {LZ4}"
            )
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {table}")
    side = target.with_name(f"{target.stem}.side.parquet")
    _side_by_side(files, kept, side)
    engine.execute(
        f"COPY ({_finished(columns, kept, len(files), side)}) TO {file_sql(target)} {LZ4}"
    )
    for path in (*files, side):
        path.unlink(missing_ok=True)


LZ4 = "(FORMAT parquet, COMPRESSION lz4)"  # how the passes write their Parquet files


def file_sql(path: Path) -> str:
    """Return the SQL literal of a local file's path."""
    return quote_literal(str(path))


def _parts(columns: list[ColumnPlan]) -> list[list[ColumnPlan]]:
    return [columns[start : start + PART_COLUMNS] for start in range(0, len(columns), PART_COLUMNS)]


def _side_by_side(files: list[Path], kept: list[str], target: Path) -> None:
    """Write the columns of `files` (the same records in the same order, their `kept`
    columns equal) side by side into `target`, a batch at a time."""
    readers = [pq.ParquetFile(path) for path in files]
    streams = [_Rows(reader) for reader in readers]
    schema = pa.schema(
        [f for n, r in enumerate(readers) for f in r.schema_arrow if n == 0 or f.name not in kept]
    )
    try:
        with pq.ParquetWriter(target, schema, compression="lz4") as writer:
            for first in readers[0].iter_batches(batch_size=16_384):
                group = [
                    pa.Table.from_batches([first]),
                    *(s.take(first.num_rows) for s in streams[1:]),
                ]
                for table in group[1:]:
                    if not all(table.column(k).equals(group[0].column(k)) for k in kept):
                        raise FormatError(
                            f"{target.name}: the typed parts of a wide file are out of step"
                        )
                columns = [
                    c
                    for n, t in enumerate(group)
                    for name, c in zip(t.column_names, t.columns, strict=True)
                    if n == 0 or name not in kept
                ]
                writer.write_table(pa.Table.from_arrays(columns, schema=schema))
    finally:
        for reader in readers:
            reader.close()


class _Rows:
    """The record batches of one Parquet file, taken a given number of rows at a time."""

    def __init__(self, reader: pq.ParquetFile) -> None:
        self._batches = reader.iter_batches(batch_size=16_384)
        self._pending: list[pa.RecordBatch] = []
        self._schema = reader.schema_arrow

    def take(self, count: int) -> pa.Table:
        """Return the next `count` rows."""
        held = sum(batch.num_rows for batch in self._pending)
        while held < count:
            batch = next(self._batches)
            self._pending.append(batch)
            held += batch.num_rows
        table = pa.Table.from_batches(self._pending, schema=self._schema).combine_chunks()
        rest = table.slice(count)
        self._pending = rest.to_batches() if rest.num_rows else []
        return table.slice(0, count)


def _finished(columns: list[ColumnPlan], kept: list[str], parts: int, side: Path) -> str:
    """Return typed_select's columns over the side-by-side file of a wide file's parts."""
    keep = ", ".join(kept)
    firsts = ", ".join(f"_first_{number}" for number in range(parts))
    reasons = ", ".join(f"CASE WHEN _first_{n} = _first THEN _reason_{n} END" for n in range(parts))
    names = ", ".join(f"CASE WHEN _first_{n} = _first THEN _column_{n} END" for n in range(parts))
    outputs = ", ".join(quote_identifier(c.name) for c in columns)
    raw_json = json_object({c.name: _raw_ref(c.name) for c in columns})
    hashed = "hash(" + ", ".join(quote_identifier(c.name) for c in columns) + ")"
    # the failure of a record is its first failing column's, whichever part typed it
    return (
        f"SELECT {keep}, {outputs}, coalesce({reasons}) AS _reason, coalesce({names}) AS "
        f"_column, CASE WHEN _first IS NOT NULL THEN {raw_json} END AS _raw, "
        f"{hashed} AS _hash FROM (SELECT *, least({firsts}) AS _first "
        f"FROM read_parquet({file_sql(side)}))"
    )


def typed_select(columns: list[ColumnPlan], kept: list[str], source: str) -> str:
    """Return a SELECT over `source` giving, per record, the `kept` columns, the typed columns,
    and — for a record that fails a check — the first failure's `_reason` and `_column` and
    its raw values as JSON (`_raw`), plus `_hash` of the typed values. For a file no wider
    than PART_COLUMNS: a wider one's rows are written by `write_typed`."""
    return _typed_part(columns, kept, source, raws=False)


def _typed_part(columns: list[ColumnPlan], kept: list[str], source: str, raws: bool) -> str:
    """Return typed_select's SELECT for `columns` alone; with `raws`, each column's raw value
    (`r.<name>`) instead of `_raw` and `_hash`."""
    keep = "".join(f"{column}, " for column in kept)
    raw_refs = ", ".join(f"{c.raw} AS {_raw_ref(c.name)}" for c in columns)
    values = ", ".join(f"{c.value} AS {c.value_ref}" for c in columns)
    typed = ", ".join(f"CAST({c.typed} AS {c.output_type}) AS {typed_ref(c.name)}" for c in columns)
    outputs = ", ".join(f"{typed_ref(c.name)} AS {quote_identifier(c.name)}" for c in columns)
    raw_json = json_object({c.name: _raw_ref(c.name) for c in columns})
    hashed = "hash(" + ", ".join(typed_ref(c.name) for c in columns) + ")"
    failure = f"CASE WHEN _reason IS NOT NULL THEN {_first_failure(columns, reason=False)} END"
    tail = (
        ", ".join(_raw_ref(c.name) for c in columns)
        if raws
        else f"CASE WHEN _reason IS NOT NULL THEN {raw_json} END AS _raw, {hashed} AS _hash"
    )
    return (
        f"WITH v AS (SELECT {keep}{raw_refs}, {values} FROM {source}), "
        f"t AS (SELECT *, {typed} FROM v), "
        f"c AS (SELECT *, {_first_failure(columns, reason=True)} AS _reason FROM t) "
        f"SELECT {keep}{outputs}, _reason, {failure} AS _column, {tail} FROM c"
    )


def meta_columns(
    batch_id: str, landed_path: str, stamp: str, has_sheet: bool = False, line: str = "_line"
) -> str:
    """Return the select list of `_batch_id, _source_file, _source_line, _ingested_at`
    (`_source_file` names the sheet of a workbook: `path#Sheet1`; `line`: the SQL of the
    line)."""
    source_file = quote_literal(landed_path)
    if has_sheet:
        source_file += " || '#' || _sheet"
    return (
        f"{quote_literal(batch_id)} AS _batch_id, {source_file} AS _source_file, "
        f"{line} AS _source_line, {quote_literal(stamp)}::TIMESTAMPTZ AS _ingested_at"
    )


def json_object(fields: dict[str, str]) -> str:
    """Return SQL building a JSON object text from name → SQL expression."""
    pairs = ", ".join(f"{quote_literal(name)}, {value}" for name, value in fields.items())
    return f"json_object({pairs})::VARCHAR"


def _first_failure(columns: list[ColumnPlan], reason: bool) -> str:
    """Return a CASE giving the first failed check's reason (or its column's name)."""
    branches = " ".join(
        f"WHEN {check.failed} THEN {check.reason if reason else quote_literal(column.name)}"
        for column in columns
        for check in column.checks
    )
    return f"CASE {branches or 'WHEN false THEN NULL'} END"


def _raw_ref(name: str) -> str:
    return quote_identifier(f"r.{name}")
