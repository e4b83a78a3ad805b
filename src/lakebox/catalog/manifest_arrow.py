"""`landing.manifest` for SQL, built without pandas and, for a SQLite catalog, read with the
standard library instead of SQLAlchemy: querying the lakehouse stays quick to start.

pyarrow imports pandas to convert Python objects, and DuckDB imports it (through
pyarrow.dataset) to scan an Arrow object; so the rows travel as JSON text: to Arrow through
pyarrow's JSON reader, into DuckDB as one SQL string literal parsed by `from_json`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pajson

from lakebox.catalog.refs import has_table, read_only
from lakebox.ground.sql import quote_identifier, quote_literal

TABLE = "lakebox_manifest"
ARROW_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("source", pa.string()),
        ("original_path", pa.string()),
        ("sha256", pa.string()),
        ("bytes", pa.int64()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
        ("landed_path", pa.string()),
        ("modified_at", pa.timestamp("us", tz="UTC")),
        ("rows_read", pa.int64()),
        ("rows_formatted", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("rows_duplicate", pa.int64()),
        ("error", pa.string()),
        ("formatted_at", pa.timestamp("us", tz="UTC")),
        ("cursor", pa.string()),
        ("http_status", pa.int32()),
        ("pages", pa.int32()),
        ("backfill", pa.string()),
        ("attempts", pa.int32()),
        ("failed_with", pa.string()),
        ("read_with", pa.string()),
        ("final_url", pa.string()),
    ]
)


_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}
Rows = Iterable[Mapping[str, object]]


def rows_to_arrow(rows: Rows) -> pa.Table:
    """Return the manifest `rows` (column name → value; a time as a datetime or as text,
    naive meaning UTC) as an Arrow table of ARROW_SCHEMA; a column a row lacks is null."""
    lines = [json.dumps(_plain_row(row)) for row in rows]
    if not lines:
        return ARROW_SCHEMA.empty_table()
    data = ("\n".join(lines) + "\n").encode("utf-8")
    table = pajson.read_json(
        io.BytesIO(data),
        read_options=pajson.ReadOptions(use_threads=False, block_size=max(len(data), 1 << 20)),
        parse_options=pajson.ParseOptions(explicit_schema=ARROW_SCHEMA),
    )
    return table.select(ARROW_SCHEMA.names).cast(ARROW_SCHEMA)


def duckdb_table_sql(name: str, rows: Rows) -> str:
    """Return the DuckDB statement (re)creating temporary table `name` holding the manifest
    `rows`, with the column types `ARROW_SCHEMA` gives in DuckDB (the session's time zone
    must be UTC: a time without offset means UTC)."""
    data = json.dumps([_plain_row(row) for row in rows])
    structure = json.dumps([{field.name: _DUCKDB_TYPES[field.type] for field in ARROW_SCHEMA}])
    return (
        f"CREATE OR REPLACE TEMP TABLE {quote_identifier(name)} AS SELECT m.* FROM "
        f"(SELECT unnest(from_json({quote_literal(data)}, {quote_literal(structure)})) AS m)"
    )


def read_sqlite(path: Path) -> list[dict[str, object]]:
    """Return the manifest rows kept in the SQLite catalog `path`, oldest first, as
    Manifest's `entries` does (none when the file or its table does not exist yet); times
    come as SQLite holds them, as text in UTC."""
    connection = read_only(path)
    if connection is None:
        return []
    try:
        if not has_table(connection, TABLE):
            return []
        connection.row_factory = _as_dict
        return connection.execute(
            f"SELECT * FROM {TABLE} ORDER BY received_at, batch_id"  # TABLE is a constant
        ).fetchall()
    finally:
        connection.close()


def _as_dict(cursor: object, row: tuple[object, ...]) -> dict[str, object]:
    names = [column[0] for column in cursor.description]  # type: ignore[attr-defined]
    return dict(zip(names, row, strict=True))


def _plain_row(row: Mapping[str, object]) -> dict[str, object]:
    return {name: _plain(row.get(name)) for name in ARROW_SCHEMA.names}


def _plain(value: object) -> object:
    """Return `value` as JSON holds it: a time as ISO text (Arrow's parser reads it)."""
    if isinstance(value, date):
        return value.isoformat()
    return value
