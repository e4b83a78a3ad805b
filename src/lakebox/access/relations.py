"""`Relations`: the lakebox tables users' SQL can name in the reader database — each with its
columns and types, for building secured relations — the other object names it could reach
(which a common table expression may not take), and the search path in force. Worked out
again only when a table's snapshot changes."""

from __future__ import annotations

import threading

import duckdb

from lakebox.access.secure import Relation
from lakebox.lakehouse import ZONE_SCHEMAS, Lakehouse

AUDIT_NAME = "_lakebox_audit"  # the rows of ops.audit, registered per query that reads it
DEFAULT_PATH = ("main", "exploitation")
_ZONES = ", ".join(f"'{zone}'" for zone in ZONE_SCHEMAS)
_COLUMNS = (
    "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
    f"WHERE table_schema IN ({_ZONES}) ORDER BY table_schema, table_name, ordinal_position"
)
_NAMES = (
    "SELECT lower(view_name) FROM duckdb_views() UNION "
    "SELECT lower(table_name) FROM duckdb_tables()"
)

Tables = dict[tuple[str, str], Relation]


class Relations:
    """The relations of one Lakehouse's reader, kept while its tables stay as they are."""

    def __init__(self) -> None:
        self._key: object = None
        self._tables: Tables = {}
        self._reserved: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def of(
        self, lh: Lakehouse, cursor: duckdb.DuckDBPyConnection | None = None
    ) -> tuple[Tables, frozenset[str], list[str]]:
        """Return the tables, the reserved names and `cursor`'s search path."""
        key = frozenset(lh.metadata_locations().items())
        with self._lock:
            if key != self._key:
                with lh.reading() as reader:
                    _expose_audit(reader.connection)
                    self._tables = relations_in(reader.connection)
                    self._reserved = frozenset(
                        r[0] for r in reader.connection.sql(_NAMES).fetchall()
                    )
                self._key = key
            tables, reserved = self._tables, self._reserved
        return tables, reserved, _search_path(cursor)


def relations_in(connection: duckdb.DuckDBPyConnection) -> Tables:
    """Return the lakebox tables (views of the zones) of `connection`'s database."""
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in connection.execute(_COLUMNS).fetchall():
        columns.setdefault((schema.lower(), table.lower()), []).append((column, data_type))
    return {key: Relation(key[0], key[1], tuple(found)) for key, found in columns.items()}


def _expose_audit(connection: duckdb.DuckDBPyConnection) -> None:
    """Show `ops.audit` in the reader: a view of the rows each query registers for itself."""
    import pyarrow as pa

    from lakebox.access.audit import SCHEMA as AUDIT_SCHEMA

    connection.register(AUDIT_NAME, pa.Table.from_pylist([], schema=AUDIT_SCHEMA))
    connection.execute(f"CREATE OR REPLACE VIEW ops.audit AS SELECT * FROM {AUDIT_NAME}")


def _search_path(cursor: duckdb.DuckDBPyConnection | None) -> list[str]:
    if cursor is None:
        return list(DEFAULT_PATH)
    row = cursor.execute("SELECT current_setting('search_path')").fetchone()
    path = [part.strip().strip('"').lower() for part in str(row[0] if row else "").split(",")]
    return [part for part in path if part] or list(DEFAULT_PATH)
