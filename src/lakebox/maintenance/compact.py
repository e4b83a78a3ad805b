"""Compaction: a table's small data files rewritten by DuckDB into files of the target size
and swapped in by one snapshot that adds and removes no row.

The small files of one partition are packed, in the order the table lists them, into bins
of about the target size; each bin of two files or more is read with `read_parquet` by
column name (as the table's name mapping reads files without field ids), cast to the
table's current types (a narrower type widened; a column none of the bin's files has stays
absent), sorted by the table's sort order when it has one, and written as one file or more
of the target size.
A table with delete files is left alone (lakebox writes none: its commits copy on write).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyiceberg.manifest import DataFile
from pyiceberg.table import Table
from pyiceberg.table.sorting import NullOrder, SortDirection

from lakebox.catalog.maintenance import replace_files
from lakebox.config.maintenance import MaintenanceConfig
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse
from lakebox.tables import place


@dataclass(frozen=True)
class Plan:
    """What compaction would do: the bins of small files it rewrites (`skipped` says why
    it rewrites none when the table has small files it cannot touch)."""

    files: int
    bins: list[list[DataFile]]
    skipped: str | None = None

    @property
    def inputs(self) -> int:
        return sum(len(group) for group in self.bins)


def plan(table: Table, config: MaintenanceConfig) -> Plan:
    """Return the bins of small files worth compacting in `table`'s current snapshot."""
    if table.current_snapshot() is None:
        return Plan(0, [])
    tasks = list(table.scan().plan_files())
    if any(task.delete_files for task in tasks):
        return Plan(len(tasks), [], skipped="it has delete files")
    small_bytes = config.target_bytes * config.small_file_ratio
    groups: dict[tuple[int, str], list[DataFile]] = {}
    for task in tasks:
        if task.file.file_size_in_bytes < small_bytes:
            key = (task.file.spec_id, repr(task.file.partition))
            groups.setdefault(key, []).append(task.file)
    bins = [
        chosen
        for files in groups.values()
        if len(files) >= config.min_input_files
        for chosen in _packed(files, config.target_bytes)
        if len(chosen) > 1
    ]
    return Plan(len(tasks), bins)


def _packed(files: list[DataFile], target: int) -> Iterator[list[DataFile]]:
    """Yield `files` in runs of about `target` bytes, in order."""
    run: list[DataFile] = []
    size = 0
    for data_file in files:
        if run and size + data_file.file_size_in_bytes > target:
            yield run
            run, size = [], 0
        run.append(data_file)
        size += data_file.file_size_in_bytes
    if run:
        yield run


def compact(lh: Lakehouse, table: Table, chosen: Plan, target: int) -> tuple[Table, int]:
    """Rewrite the bins of `chosen` and swap them in by one snapshot; return the table and
    how many files the bins became."""
    scratch = lh.scratch_dir / f"compact-{uuid.uuid4().hex[:12]}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        written = [
            path for group in chosen.bins for path in _rewrite(lh, table, group, scratch, target)
        ]
        placed = [place(lh, table, path, f"compacted-{uuid.uuid4().hex[:8]}") for path in written]
        old = [data_file for group in chosen.bins for data_file in group]
        return replace_files(table, old, placed), len(placed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _rewrite(
    lh: Lakehouse, table: Table, group: list[DataFile], scratch: Path, target: int
) -> list[Path]:
    """Write the rows of `group` as files of about `target` bytes; return them."""
    folder = scratch / uuid.uuid4().hex[:8]
    paths = ", ".join(quote_literal(_readable(data_file.file_path)) for data_file in group)
    files = f"read_parquet([{paths}], union_by_name = true)"
    present = {column for column, _ in _described(lh, f"SELECT * FROM {files}")}
    name = f"_lakebox_schema_{uuid.uuid4().hex[:8]}"
    lh.engine.register_arrow(name, table.schema().as_arrow().empty_table())
    try:
        types = _described(lh, f"SELECT * FROM {quote_identifier(name)}")
    finally:
        lh.engine.unregister(name)
    columns = [(column, kind) for column, kind in types if column in present]
    lh.engine.execute(
        f"COPY ({_select(table, files, columns)}) TO {quote_literal(str(folder))} "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880, "
        f"FILE_SIZE_BYTES {int(target)}, FILENAME_PATTERN 'part-{{i}}')"
    )
    return sorted(folder.glob("*.parquet"))


def _described(lh: Lakehouse, select: str) -> list[tuple[str, str]]:
    """Return the columns and DuckDB types of `select`'s result."""
    rows = lh.engine.execute(f"DESCRIBE {select}").fetchall()
    return [(str(row[0]), str(row[1])) for row in rows]


def _select(table: Table, files: str, columns: list[tuple[str, str]]) -> str:
    """Return the SELECT of the rows of `files` in the table's types (a column none of the
    files has stays absent, as it was) and in its sort order."""
    projected = ", ".join(
        f"CAST({quote_identifier(column)} AS {kind}) AS {quote_identifier(column)}"
        for column, kind in columns
    )
    rows = f"SELECT {projected} FROM {files}"
    order = _order_by(table, {column for column, _ in columns})
    return f"{rows} ORDER BY {order}" if order else rows


def _order_by(table: Table, present: set[str]) -> str:
    """Return the ORDER BY of the table's sort order on the `present` columns ('' when it
    has none)."""
    schema = table.schema()
    keys = []
    for sort_field in table.sort_order().fields:
        name = schema.find_column_name(sort_field.source_id)
        if name not in present:
            continue
        column = quote_identifier(name)
        direction = "DESC" if sort_field.direction == SortDirection.DESC else "ASC"
        nulls = "NULLS FIRST" if sort_field.null_order == NullOrder.NULLS_FIRST else "NULLS LAST"
        keys.append(f"{column} {direction} {nulls}")
    return ", ".join(keys)


def _readable(path: str) -> str:
    """Return a data file's path as DuckDB reads it (a local file without `file://`)."""
    return path.removeprefix("file://")
