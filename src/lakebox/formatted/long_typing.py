"""Typing a wide file's plain text columns in long form: one statement per rule template.

Most columns of a wide file carry only the default text rules, and their SQL differs only in
the column's name. DuckDB's cost of planning a SELECT grows with its expressions (a few
milliseconds a column: 5,000 columns took most of a minute), so such columns are grouped
by their rules' SQL with the name taken out, and each group's values are typed in one
statement over (record, column, text) rows: its rules are planned once, however many
columns share them. The rows are then put back side by side, one column per name, into a
file shaped like a part of `staging.write_typed`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lakebox.config import ColumnConfig
from lakebox.engine import DuckDBEngine
from lakebox.formatted.rules import ColumnPlan, typed_ref, value_ref
from lakebox.ground.sql import quote_identifier, quote_literal

_NAME = "_name"
_LONG_ROWS = 262_144  # long rows put side by side at a time (at least one record)


@dataclass
class Group:
    """Columns whose rules are one template; `indexes` are their places in the file."""

    raw_type: str
    value: str
    typed: str
    output_type: str
    checks: tuple[tuple[str, str], ...]
    columns: list[ColumnPlan] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)


Template = tuple[str, str, str, str, tuple[tuple[str, str], ...]]


def template(column: ColumnPlan, read_as: dict[str, str]) -> Template | None:
    """Return a column's rules with its name taken out (`_r` its raw value, `_v` its cleaned
    text, `_t` its typed value, `_name` its name) and the type of its raw value, or None
    when they read anything else (a declared column, another column's value, an expression
    of the raw columns). `read_as`: the type of each raw column."""
    if column.config != ColumnConfig():
        return None
    if column.raw == _text_of(column.name):
        raw_type = "VARCHAR"
    elif column.raw == quote_identifier(column.name) and column.name in read_as:
        raw_type = read_as[column.name]
    else:
        return None

    def generic(sql: str) -> str:
        sql = sql.replace(column.raw, "_r")
        sql = sql.replace(value_ref(column.name), "_v").replace(typed_ref(column.name), "_t")
        return sql.replace(quote_literal(column.name + ": ")[:-1], f"{_NAME} || ': ")

    value, typed = generic(column.value), generic(column.typed)
    checks = tuple((generic(check.failed), generic(check.reason)) for check in column.checks)
    if '"' in value + typed + "".join(a + b for a, b in checks):
        return None  # an identifier left: another column's value, or a name inside text
    return raw_type, value, typed, column.output_type, checks


def _text_of(name: str) -> str:
    return f"CAST({quote_identifier(name)} AS VARCHAR)"


def groups(
    columns: list[ColumnPlan], smallest: int, read_as: dict[str, str]
) -> tuple[list[Group], list[int]]:
    """Return the groups of at least `smallest` columns sharing a template, and the indexes
    of the other columns (`read_as`: the type of each raw column)."""
    found: dict[Template, Group] = {}
    others = []
    for index, column in enumerate(columns):
        key = template(column, read_as)
        if key is None:
            others.append(index)
            continue
        group = found.setdefault(key, Group(*key))
        group.columns.append(column)
        group.indexes.append(index)
    kept = []
    for group in found.values():
        if len(group.columns) >= smallest:
            kept.append(group)
        else:
            others.extend(group.indexes)
    return kept, sorted(others)


def write_group(
    engine: DuckDBEngine, group: Group, kept: list[str], table: str, number: int, target: Path
) -> None:
    """Type `group`'s columns over `table` in long form and write them side by side into
    `target`: the `kept` columns, each typed column, `_reason_<number>`, `_column_<number>`,
    `_first_<number>` (the file index of the first failing column) and each raw `r.<name>`."""
    keep = ", ".join(kept)
    raws = ", ".join(c.raw for c in group.columns)
    names = ", ".join(quote_literal(c.name) for c in group.columns)
    branches = " ".join(f"WHEN {failed} THEN {reason}" for failed, reason in group.checks)
    failure = f"CASE {branches or 'WHEN false THEN NULL'} END"
    long_file = target.with_name(f"{target.stem}.long.parquet")
    engine.execute(
        f"COPY (WITH l AS (SELECT {keep}, unnest(range({len(group.columns)})) AS _k, "
        f"unnest([{raws}]::{group.raw_type}[]) AS _r FROM {table}), "
        f"n AS (SELECT *, [{names}][_k + 1] AS {_NAME} FROM l), "
        f"v AS (SELECT *, {group.value} AS _v FROM n), "
        f"t AS (SELECT *, CAST({group.typed} AS {group.output_type}) AS _t FROM v) "
        f"SELECT {keep}, _k, _t, _r, {failure} AS _reason FROM t ORDER BY {keep}, _k) "
        f"TO {quote_literal(str(long_file))} (FORMAT parquet, COMPRESSION lz4)"
    )
    try:
        writer = None
        for long in _whole_records(long_file, len(group.columns)):
            table = _side_by_side(long, group, kept, number)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema, compression="lz4")
            writer.write_table(table)
        if writer is None:  # no record at all
            empty = pq.read_table(long_file)
            writer = pq.ParquetWriter(target, _side_by_side(empty, group, kept, number).schema)
        writer.close()
    finally:
        long_file.unlink(missing_ok=True)


def _whole_records(path: Path, width: int) -> Iterator[pa.Table]:
    """Yield the long rows of `path`, `width` to a record, a batch of whole records at a
    time: memory holds a batch, never the file."""
    reader = pq.ParquetFile(path)
    pending: list[pa.RecordBatch] = []
    held = 0
    try:
        for batch in reader.iter_batches(batch_size=max(width, _LONG_ROWS // width * width)):
            pending.append(batch)
            held += batch.num_rows
            whole = held - held % width
            if whole:
                table = pa.Table.from_batches(pending).combine_chunks()
                yield table.slice(0, whole)
                rest = table.slice(whole)
                pending, held = (rest.to_batches(), rest.num_rows) if rest.num_rows else ([], 0)
    finally:
        reader.close()


def _side_by_side(long: pa.Table, group: Group, kept: list[str], number: int) -> pa.Table:
    """Return the long rows of `group` as one row per record, a column per name."""
    width = len(group.columns)
    records = long.num_rows // width
    arrays: dict[str, pa.Array] = {}
    for name in kept:
        arrays[name] = _every(long.column(name), 0, width, records)
    for offset, column in enumerate(group.columns):
        arrays[column.name] = _every(long.column("_t"), offset, width, records)
    reasons = long.column("_reason").combine_chunks()
    failing = pc.is_valid(reasons).to_numpy(zero_copy_only=False).reshape(records, width)
    first = failing.argmax(axis=1)
    any_failing = failing.any(axis=1)
    at = np.arange(records) * width + first
    names = np.array([c.name for c in group.columns], dtype=object)[first]
    indexes = np.array(group.indexes)[first]
    arrays[f"_reason_{number}"] = pc.if_else(
        pa.array(any_failing), reasons.take(pa.array(at)), pa.nulls(records, pa.string())
    )
    arrays[f"_column_{number}"] = pa.array(np.where(any_failing, names, None), pa.string())
    arrays[f"_first_{number}"] = pa.array(indexes.astype(np.int64), mask=~any_failing)
    for offset, column in enumerate(group.columns):
        arrays[f"r.{column.name}"] = _every(long.column("_r"), offset, width, records)
    return pa.table(arrays)


def _every(column: pa.ChunkedArray, offset: int, width: int, records: int) -> pa.Array:
    """Return the values at `offset`, `offset + width`, … of `column`."""
    return column.take(pa.array(np.arange(records, dtype=np.int64) * width + offset))
