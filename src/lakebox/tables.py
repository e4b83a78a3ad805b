"""Table writes: a batch's Parquet file or rows committed to their Iceberg table exactly once,
tagged with the batch id, the same way for every zone (so it sits right above the Lakehouse,
where landing, formatting, checks, runs and analyses all reach it)."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.table import Table

from lakebox.catalog import BATCH_PROPERTY, CURSOR_PROPERTY, TableRef
from lakebox.catalog.iceberg import parquet_schema, snapshot_properties
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)


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

    With a `key`, rows of earlier batches with the same key are replaced (latest wins); with
    `replace`, the batch replaces every row (a full pull of a database table or an API).
    """
    schema = parquet_schema(str(parquet))
    table = lh.catalog.load(ref)
    if table is not None and batch_id in lh.catalog.batches(table):
        logger.info("%s already holds batch %s; not committed again", ref.identifier, batch_id)
        return False
    table = lh.catalog.ensure(ref, schema, table)
    if replace:
        files = [place(lh, table, parquet, batch_id)]
        lh.catalog.replace_all(table, files, [batch_id], properties)
    elif key and table.current_snapshot() is not None and _overlaps(lh, ref, parquet, key):
        merged = _merge(lh, ref, parquet, key)
        lh.catalog.replace_all(table, [place(lh, table, merged, batch_id)], [batch_id], properties)
    else:
        lh.catalog.commit_files(
            table, [place(lh, table, parquet, batch_id)], [batch_id], properties
        )
    lh.refresh()
    return True


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
    the latest batch wins, so a key a later batch replaced keeps that batch's row. The
    commit carries no cursor: a pulled source's state moved when the batch first came."""
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
        rows = parquet
    else:
        rows = _without_batch(lh, ref, parquet, batch_id, key or [])
    lh.catalog.replace_all(table, [place(lh, table, rows, batch_id)], [batch_id], properties)
    lh.refresh()
    return True


def remove_batch(lh: Lakehouse, ref: TableRef, batch_id: str, properties: dict[str, str]) -> None:
    """Remove the rows of `batch_id` from `ref` in one commit (none there: no commit)."""
    table = lh.catalog.load(ref)
    if table is None or table.current_snapshot() is None:
        return
    lh.refresh()
    found = lh.engine.execute(
        f"SELECT count(*) FROM {_table_sql(ref)} WHERE _batch_id = {quote_literal(batch_id)}"
    ).fetchone()
    if not found or not found[0]:
        return
    rows = lh.scratch_dir / f"{batch_id}-{uuid.uuid4().hex[:8]}.kept.parquet"
    lh.engine.copy_to_parquet(
        f"SELECT * FROM {_table_sql(ref)} WHERE _batch_id <> {quote_literal(batch_id)}", rows
    )
    properties = {name: value for name, value in properties.items() if name != CURSOR_PROPERTY}
    lh.catalog.replace_all(table, [place(lh, table, rows, batch_id)], [batch_id], properties)
    lh.refresh()


def _without_batch(
    lh: Lakehouse, ref: TableRef, parquet: Path, batch_id: str, key: list[str]
) -> Path:
    """Write the table's rows of other batches plus `parquet`'s (per key, the latest's)."""
    lh.refresh()
    new = f"read_parquet({quote_literal(str(parquet))})"
    rows = (
        f"SELECT * FROM {_table_sql(ref)} WHERE _batch_id <> {quote_literal(batch_id)} "
        f"UNION ALL BY NAME SELECT * FROM {new}"
    )
    if key:
        partition = ", ".join(quote_identifier(column) for column in key)
        rows = (
            f"SELECT * FROM ({rows}) QUALIFY row_number() OVER (PARTITION BY {partition} "
            f"ORDER BY _batch_id DESC) = 1"
        )
    merged = parquet.with_name(parquet.stem + ".replaced.parquet")
    lh.engine.copy_to_parquet(rows, merged)
    return merged


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


def _overlaps(lh: Lakehouse, ref: TableRef, parquet: Path, key: list[str]) -> bool:
    lh.refresh()
    using = ", ".join(quote_identifier(column) for column in key)
    row = lh.engine.execute(
        f"SELECT count(*) FROM read_parquet({quote_literal(str(parquet))}) "
        f"SEMI JOIN {_table_sql(ref)} USING ({using})"
    ).fetchone()
    return bool(row and row[0])


def _merge(lh: Lakehouse, ref: TableRef, parquet: Path, key: list[str]) -> Path:
    """Write the table's rows whose key is not in `parquet`, plus `parquet`'s rows."""
    using = ", ".join(quote_identifier(column) for column in key)
    new = f"read_parquet({quote_literal(str(parquet))})"
    merged = parquet.with_name(parquet.stem + ".merged.parquet")
    lh.engine.copy_to_parquet(
        f"SELECT * FROM {_table_sql(ref)} ANTI JOIN {new} USING ({using}) "
        f"UNION ALL BY NAME SELECT * FROM {new}",
        merged,
    )
    return merged


def _table_sql(ref: TableRef) -> str:
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
