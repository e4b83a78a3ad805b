"""Table writes: a batch's Parquet file or rows committed to their Iceberg table exactly once,
tagged with the batch id, the same way for every zone (so it sits right above the Lakehouse,
where landing, formatting, checks, runs and analyses all reach it)."""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table

from lakebox.catalog import BATCH_PROPERTY, CURSOR_PROPERTY, TableRef
from lakebox.catalog.bounds import may_hold, may_hold_nulls
from lakebox.catalog.iceberg import parquet_schema, snapshot_properties
from lakebox.errors import CatalogError
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)
# Rows per data file of a keyed table: a merge rewrites whole files, so the size of a file
# bounds what one changed key costs (and sorted files keep the keys of a batch in few).
FILE_ROWS = 262_144
PART = "_lakebox_part"  # the file a sorted row goes to (not written: it names the folder)
# the data file a row was read from, suffixed per read: a table may have any column name
FILE_COLUMN = "_lakebox_file"


def commit_batch(
    lh: Lakehouse,
    ref: TableRef,
    parquet: Path,
    batch_id: str,
    properties: dict[str, str],
    key: list[str] | None = None,
    replace: bool = False,
) -> bool:
    """Commit `parquet` to `ref` tagged with `batch_id`; False if the batch is there already.

    With a `key`, rows of earlier batches with the same key are replaced (latest wins): only
    the data files holding one of the batch's keys are rewritten, and the table's files hold
    its rows sorted by key, so a batch of changed keys touches few of them. With `replace`,
    the batch replaces every row (a full pull of a database table or an API).
    """
    table = lh.catalog.load(ref)
    if table is not None and batch_id in lh.catalog.batches(table):
        logger.info("%s already holds batch %s; not committed again", ref.identifier, batch_id)
        return False
    _commit(lh, ref, table, parquet, [batch_id], properties, key, replace)
    return True


def commit_batches(
    lh: Lakehouse,
    ref: TableRef,
    parquet: Path,
    batch_ids: list[str],
    properties: dict[str, str],
    key: list[str] | None = None,
) -> None:
    """Commit `parquet`, the rows of several batches none of which `ref` holds yet, as one
    snapshot tagged with every one of `batch_ids` (keyed: as `commit_batch` merges one; the
    rows hold one per key). Raises CatalogError when `ref` holds one of them already."""
    table = lh.catalog.load(ref)
    held = sorted(set(batch_ids) & lh.catalog.batches(table)) if table is not None else []
    if held:
        raise CatalogError(f"{ref.identifier} already holds batch {held[0]}")
    _commit(lh, ref, table, parquet, batch_ids, properties, key)


def _commit(
    lh: Lakehouse,
    ref: TableRef,
    table: Table | None,
    parquet: Path,
    batch_ids: list[str],
    properties: dict[str, str],
    key: list[str] | None,
    replace: bool = False,
) -> None:
    table = lh.catalog.ensure(ref, parquet_schema(str(parquet)), table)
    if replace:
        files = [place(lh, table, parquet, batch_ids[0])]
        lh.catalog.replace_all(table, files, batch_ids, properties)
    elif key:
        _merge(lh, table, parquet, batch_ids, key, properties)
    else:
        files = [place(lh, table, parquet, batch_ids[0])]
        lh.catalog.commit_files(table, files, batch_ids, properties)
    lh.refresh()


def replace_batch(
    lh: Lakehouse,
    ref: TableRef,
    parquet: Path,
    batch_id: str,
    properties: dict[str, str],
    key: list[str] | None = None,
    replace: bool = False,
) -> bool:
    """Commit `parquet` as batch `batch_id` in place of the rows an earlier formatting of the
    batch left in `ref` (a retry after a partial write, or a reformat), in one commit; a
    batch not in `ref` yet is committed as `commit_batch` does. False when nothing changed:
    a full pull a later one replaced holds no row of the table any more.

    Keyed (`key`), the batch's rows go back under the rule of a merge: per key, the row of
    the latest batch wins, so a key a later batch replaced keeps that batch's row. Only the
    data files holding a row of the batch or one of its keys are rewritten. The commit
    carries no cursor: a pulled source's state moved when the batch first came."""
    table = lh.catalog.load(ref)
    if table is None or batch_id not in lh.catalog.batches(table):
        return commit_batch(lh, ref, parquet, batch_id, properties, key, replace=replace)
    properties = {name: value for name, value in properties.items() if name != CURSOR_PROPERTY}
    table = lh.catalog.ensure(ref, parquet_schema(str(parquet)), table)
    if replace:
        current = snapshot_properties(table.current_snapshot()).get(BATCH_PROPERTY, "[]")
        if batch_id not in json.loads(current):
            logger.info("%s: batch %s was replaced by a later pull", ref.identifier, batch_id)
            return False
        lh.catalog.replace_all(table, [place(lh, table, parquet, batch_id)], [batch_id], properties)
    else:
        _replace(lh, table, parquet, batch_id, key or [], properties)
    lh.refresh()
    return True


def remove_batch(lh: Lakehouse, ref: TableRef, batch_id: str, properties: dict[str, str]) -> None:
    """Remove the rows of `batch_id` from `ref` in one commit (none there: no commit); only
    the data files holding one of its rows are rewritten, each without them."""
    table = lh.catalog.load(ref)
    if table is None or table.current_snapshot() is None:
        return
    held = _files_of_batch(lh, table, batch_id)
    if not held:
        return
    kept = [_without_batch(lh, file, batch_id) for file in held]
    added = [place(lh, table, rows, batch_id) for rows in kept if rows is not None]
    properties = {name: value for name, value in properties.items() if name != CURSOR_PROPERTY}
    lh.catalog.swap_files(table, held, added, [batch_id], properties)
    lh.refresh()


def _without_batch(lh: Lakehouse, file: DataFile, batch_id: str) -> Path | None:
    """Write the rows of data `file` that are not of `batch_id`; None when there are none."""
    rows = lh.scratch_dir / f"{batch_id}-{uuid.uuid4().hex[:8]}.kept.parquet"
    lh.engine.copy_to_parquet(
        f"SELECT * FROM {_files_sql([file])} WHERE _batch_id <> {quote_literal(batch_id)}", rows
    )
    if _row_count(rows):
        return rows
    rows.unlink()
    return None


def _merge(
    lh: Lakehouse,
    table: Table,
    parquet: Path,
    batch_ids: list[str],
    key: list[str],
    properties: dict[str, str],
) -> None:
    """Commit `parquet`'s rows in place of the table's rows with one of its keys, in one
    snapshot: the data files holding such a row are rewritten (their other rows and the new
    ones, sorted by key); the others stay as they are."""
    table = lh.catalog.sort_by(table, key)
    new = _parquet_sql(parquet)
    held = _files_holding(lh, table, new, key)
    rows = f"SELECT * FROM {new}"
    if held:
        rows = (
            f"SELECT * FROM {_files_sql(held)} ANTI JOIN {new} USING ({_columns(key)}) "
            f"UNION ALL BY NAME {rows}"
        )
    added = _write_sorted(lh, table, rows, key, batch_ids[0], _most(held, parquet))
    lh.catalog.swap_files(table, held, added, batch_ids, properties)


def _replace(
    lh: Lakehouse,
    table: Table,
    parquet: Path,
    batch_id: str,
    key: list[str],
    properties: dict[str, str],
) -> None:
    """Commit `parquet` in place of the rows of `batch_id` (keyed: per key, the row of the
    latest batch wins), rewriting only the data files that hold one of the rows involved."""
    new = _parquet_sql(parquet)
    held = _files_of_batch(lh, table, batch_id, key)
    if key:
        held = _union(held, _files_holding(lh, table, new, key))
    rows = f"SELECT * FROM {new}"
    if held:
        others = f"SELECT * FROM {_files_sql(held)} WHERE _batch_id <> {quote_literal(batch_id)}"
        rows = f"{others} UNION ALL BY NAME {rows}"
    if not key:
        path = lh.scratch_dir / f"{batch_id}-{uuid.uuid4().hex[:8]}.replaced.parquet"
        lh.engine.copy_to_parquet(rows, path)
        added = [place(lh, table, path, batch_id)]
    else:
        rows = (
            f"SELECT * FROM ({rows}) QUALIFY row_number() OVER (PARTITION BY {_columns(key)} "
            f"ORDER BY _batch_id DESC) = 1"
        )
        added = _write_sorted(lh, table, rows, key, batch_id, _most(held, parquet))
    lh.catalog.swap_files(table, held, added, [batch_id], properties)


def _files_holding(lh: Lakehouse, table: Table, new: str, key: list[str]) -> list[DataFile]:
    """Return the table's data files that hold a row with one of the keys of `new` (rows
    with a null in the key match none): the files whose key bounds may, checked by DuckDB."""
    candidates = lh.catalog.data_files(table)
    for column in key:
        if not candidates:
            return []
        name = quote_identifier(column)
        values = lh.engine.arrow(
            f"SELECT DISTINCT {name} FROM {new} WHERE {name} IS NOT NULL ORDER BY {name}"
        )
        candidates = may_hold(candidates, table.schema(), column, values.column(0).combine_chunks())
    return _confirmed(lh, candidates, f"SEMI JOIN {new} USING ({_columns(key)})")


def _files_of_batch(
    lh: Lakehouse, table: Table, batch_id: str, key: list[str] | None = None
) -> list[DataFile]:
    """Return the table's data files that hold a row of `batch_id` or, given a `key`, a row
    with a null in it (a keyed replace keeps one row per key, a null one included)."""
    files = lh.catalog.data_files(table)
    candidates = may_hold(files, table.schema(), "_batch_id", [batch_id])
    condition = f"_batch_id = {quote_literal(batch_id)}"
    for column in key or []:
        candidates = _union(candidates, may_hold_nulls(files, table.schema(), column))
        condition += f" OR {quote_identifier(column)} IS NULL"
    return _confirmed(lh, candidates, f"WHERE {condition}")


def _confirmed(lh: Lakehouse, candidates: list[DataFile], condition: str) -> list[DataFile]:
    """Return the `candidates` that hold a row meeting `condition` (a WHERE or a join)."""
    if not candidates:
        return []
    name = f"{FILE_COLUMN}_{uuid.uuid4().hex}"
    found = lh.engine.execute(
        f"SELECT DISTINCT {name} FROM {_files_sql(candidates, filename=name)} {condition}"
    ).fetchall()
    paths = {row[0] for row in found}
    return [file for file in candidates if file.file_path in paths]


def _write_sorted(
    lh: Lakehouse, table: Table, rows: str, key: list[str], batch_id: str, most: int
) -> list[str]:
    """Write `rows` (`most` of them at the most) sorted by `key` into files of about
    FILE_ROWS rows (one file up to 1.5 times that: a partitioned write costs more than a
    larger file), placed in the table's data folder; return their URIs (one file, maybe
    empty, at the least). Parts are cut in one pass: a row's rank in key order picks its file."""
    order = _columns(key)
    stem = f"{batch_id}-{uuid.uuid4().hex[:8]}.sorted"
    if most <= FILE_ROWS * 3 // 2:
        path = lh.scratch_dir / f"{stem}.parquet"
        lh.engine.copy_to_parquet(f"SELECT * FROM ({rows}) ORDER BY {order}", path)
        return [place(lh, table, path, batch_id)]
    size = -(-most // -(-most // FILE_ROWS))
    folder = lh.scratch_dir / stem
    folder.parent.mkdir(parents=True, exist_ok=True)
    lh.engine.execute(
        f"COPY (SELECT *, (row_number() OVER (ORDER BY {order}) - 1) // {size} AS {PART} "
        f"FROM ({rows}) ORDER BY {order}) TO {quote_literal(str(folder))} (FORMAT parquet, "
        f"COMPRESSION zstd, ROW_GROUP_SIZE 122880, PARTITION_BY ({PART}))"
    )
    parts = sorted(folder.glob("*/*.parquet"), key=lambda part: int(part.parent.name.split("=")[1]))
    placed = [place(lh, table, part, batch_id) for part in parts]
    shutil.rmtree(folder, ignore_errors=True)
    return placed


def commit_rows(
    lh: Lakehouse,
    ref: TableRef,
    rows: pa.Table,
    batch_id: str,
    properties: dict[str, str],
    replace: bool = False,
) -> bool:
    """Commit the in-memory `rows` to `ref` as batch `batch_id` (through a scratch Parquet
    file, removed afterwards): lakebox's own tables such as `ops.*` are written this way."""
    path = lh.scratch_dir / f"{batch_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows, path)
    try:
        return commit_batch(lh, ref, path, batch_id, properties, replace=replace)
    finally:
        path.unlink(missing_ok=True)


def place(lh: Lakehouse, table: Table, parquet: Path, batch_id: str) -> str:
    """Move a finished Parquet file into the table's data folder; return its URI."""
    prefix = lh.storage.root_uri + "/"
    location = table.location().rstrip("/")
    relative = f"{location.removeprefix(prefix)}/data/{batch_id}-{uuid.uuid4().hex[:8]}.parquet"
    lh.storage.put(parquet, relative, move=True)
    uri = lh.storage.uri(relative)
    return uri.removeprefix("file://") if lh.storage.is_local else uri


def _files_sql(files: list[DataFile], filename: str | None = None) -> str:
    """Return a `read_parquet` of the data `files` (their columns matched by name; with
    `filename`, a column of that name holds the file each row was read from)."""
    paths = ", ".join(quote_literal(file.file_path) for file in files)
    extra = f", filename = {quote_literal(filename)}" if filename else ""
    return f"read_parquet([{paths}], union_by_name = true{extra}) AS _old"


def _parquet_sql(path: Path) -> str:
    """Return a `read_parquet` of the batch's file, named `_new` (two unnamed table
    functions on either side of a join leave DuckDB without a FROM clause for `*`)."""
    return f"read_parquet({quote_literal(str(path))}) AS _new"


def _most(held: list[DataFile], parquet: Path) -> int:
    """Return how many rows a rewrite of `held` with `parquet`'s rows can hold at most."""
    return sum(file.record_count for file in held) + _row_count(parquet)


def _row_count(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def _columns(key: list[str]) -> str:
    return ", ".join(quote_identifier(column) for column in key)


def _union(first: list[DataFile], second: list[DataFile]) -> list[DataFile]:
    seen = {file.file_path for file in first}
    return [*first, *(file for file in second if file.file_path not in seen)]
