"""The PostgreSQL catalog lakebox shows: `pg_catalog` and `information_schema` look-alikes,
kept as views and macros in a private schema of the engine, over DuckDB's own metadata.

Zones are schemas; every table of a zone (a DuckDB view over an Iceberg snapshot) is a table
(relkind 'r'). OIDs are DuckDB's own object ids, so joins between the views agree.

They list only what the session's user may read: `narrow` tells a session's engine connection
what that is. Here they are installed; their SQL is in `tables` and `functions`."""

from __future__ import annotations

import logging

import duckdb

from lakebox.lakehouse import Lakehouse
from lakebox.serving.pgwire import types
from lakebox.serving.pgwire.catalog.functions import MACROS
from lakebox.serving.pgwire.catalog.tables import (
    EMPTY,
    INFORMATION_SCHEMA,
    INFORMATION_VIEWS,
    OWNER_OID,
    PARTIAL,
    SCHEMA,
    VIEWS,
    VISIBLE,
    VISIBLE_COLUMNS,
)

logger = logging.getLogger(__name__)


def install(lh: Lakehouse, settings: dict[str, str]) -> None:
    """Create (or re-create) the catalog views and macros in the private schema of the
    reader database, where users' SQL runs; `settings` are the server's defaults, as
    `pg_settings` and `current_setting()` show them."""
    with lh.reading() as reader:
        _install(reader.connection, lh, settings)


def narrow(
    cursor: duckdb.DuckDBPyConnection, shown: tuple[list[str], list[str], list[str]] | None
) -> None:
    """Let the catalog views list on `cursor` only the tables and columns `shown`: the tables
    read whole, those read in part and the readable columns of the latter, as
    `lakebox.access.secure.visible` gives them (None: every table and column)."""
    whole, partial, columns = shown if shown is not None else (["*"], [], [])
    for name, values in (
        (VISIBLE, whole + partial),
        (PARTIAL, partial),
        (VISIBLE_COLUMNS, columns),
    ):
        cursor.execute(f"SET VARIABLE {name} = ?::VARCHAR[]", [values])


def _install(
    connection: duckdb.DuckDBPyConnection, lh: Lakehouse, settings: dict[str, str]
) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {INFORMATION_SCHEMA}")
    _install_tables(connection, lh)
    connection.execute(
        f"CREATE OR REPLACE TABLE {SCHEMA}.pg_settings (name VARCHAR, setting VARCHAR)"
    )
    connection.executemany(
        f"INSERT INTO {SCHEMA}.pg_settings VALUES (?, ?)", sorted(settings.items())
    )
    for name, columns in EMPTY.items():
        connection.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{name} ({columns})")
    for name, select in VIEWS.items():
        connection.execute(f"CREATE OR REPLACE VIEW {SCHEMA}.{name} AS {select}")
    for name, body in MACROS.items():
        overloads = ", ".join(f"({parameters}) AS {sql}" for parameters, sql in body)
        connection.execute(f"CREATE OR REPLACE MACRO {SCHEMA}.{name} {overloads}")
    for name, select in INFORMATION_VIEWS.items():
        connection.execute(f"CREATE OR REPLACE VIEW {INFORMATION_SCHEMA}.{name} AS {select}")
    logger.debug("installed the pg catalog emulation in %s", SCHEMA)


def _install_tables(connection: duckdb.DuckDBPyConnection, lh: Lakehouse) -> None:
    connection.execute(
        f"CREATE OR REPLACE TABLE {SCHEMA}._type_names "
        "(oid BIGINT, typname VARCHAR, sql_name VARCHAR, typlen SMALLINT, typcategory VARCHAR, "
        "typarray BIGINT, typelem BIGINT)"
    )
    rows = [
        (oid, name, sql, size, category, array, 0)
        for oid, name, sql, size, category, array in types.PG_TYPES
    ]
    rows += [
        (array, f"_{name}", f"{sql}[]", -1, "A", 0, oid)
        for oid, name, sql, _, _, array in types.PG_TYPES
        if array
    ]
    connection.executemany(f"INSERT INTO {SCHEMA}._type_names VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    connection.execute(
        f"""CREATE OR REPLACE VIEW {SCHEMA}.pg_type AS
        SELECT oid, typname, (SELECT oid FROM duckdb_schemas()
                              WHERE database_name = 'system' AND schema_name = 'pg_catalog')
                              AS typnamespace,
               {OWNER_OID} AS typowner, typlen, typlen > 0 AS typbyval,
               'b' AS typtype, typcategory,
               false AS typispreferred, true AS typisdefined, ',' AS typdelim, 0 AS typrelid,
               0 AS typsubscript, typelem, typarray,
               CASE WHEN typcategory = 'A' THEN 'array_in' ELSE typname || 'in' END AS typinput,
               typname || 'out' AS typoutput, typname || 'recv' AS typreceive,
               typname || 'send' AS typsend, 0 AS typmodin, 0 AS typmodout, 0 AS typanalyze,
               'i' AS typalign, 'p' AS typstorage, false AS typnotnull, 0 AS typbasetype,
               -1 AS typtypmod, 0 AS typndims, 0 AS typcollation,
               NULL::VARCHAR AS typdefaultbin, NULL::VARCHAR AS typdefault,
               NULL::VARCHAR[] AS typacl
        FROM {SCHEMA}._type_names"""
    )
    connection.execute(
        f"CREATE OR REPLACE TABLE {SCHEMA}._descriptions "
        "(schema_name VARCHAR, table_name VARCHAR, column_name VARCHAR, description VARCHAR)"
    )
    described = [
        ("formatted", source, column, config.description)
        for source, source_config in lh.config.formatted_sources.items()
        for column, config in source_config.columns.items()
        if config.description
    ]
    if described:
        connection.executemany(f"INSERT INTO {SCHEMA}._descriptions VALUES (?, ?, ?, ?)", described)
