"""Commits a batch's Parquet file to its Iceberg table exactly once."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.table import Table

from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import parquet_schema
from lakebox.engine import quote_literal
from lakebox.engine.duckdb import quote_identifier
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
