"""The emulated catalog, asked directly and through the SQL that JDBC tools (Metabase,
DBeaver) send: fixtures/jdbc_*.sql follow pgjdbc 42.x's DatabaseMetaData and type cache."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def conn(dsn):
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield connection


def test_zones_are_schemas_and_internals_are_hidden(conn):
    names = [row[0] for row in conn.execute("SELECT nspname FROM pg_namespace ORDER BY 1")]
    assert names == [
        "analytics", "exploitation", "formatted", "information_schema", "landing", "ops",
        "pg_catalog", "quarantine",
    ]  # fmt: skip
    schemata = conn.execute("SELECT schema_name FROM information_schema.schemata").fetchall()
    assert ("_lakebox_pg",) not in schemata and ("main",) not in schemata


def test_lakebox_tables_are_relkind_r_with_stable_oids(conn):
    query = (
        "SELECT c.oid, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = 'formatted' AND c.relname = 'sales'"
    )
    first = conn.execute(query).fetchall()
    assert len(first) == 1 and first[0][1] == "r"
    assert conn.execute(query).fetchall() == first
    assert conn.execute("SELECT 'formatted.sales'::regclass::oid").fetchone() == (first[0][0],)


def test_columns_types_and_descriptions(conn):
    rows = conn.execute(
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
        "col_description(a.attrelid, a.attnum) FROM pg_attribute a "
        "WHERE a.attrelid = 'formatted.sales'::regclass AND a.attnum > 0 ORDER BY a.attnum"
    ).fetchall()
    assert rows[:3] == [
        ("store", "text", "Store code."),
        ("id", "bigint", None),
        ("amount", "double precision", None),
    ]
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'exploitation' AND table_name = 'totals' ORDER BY ordinal_position"
    ).fetchall()
    assert columns == [("store", "text"), ("amount", "double precision")]
    numeric = conn.execute("SELECT format_type(1700, ((12 << 16) | 2) + 4)").fetchone()
    assert numeric == ("numeric(12,2)",)


def test_information_schema_tables_are_base_tables(conn):
    rows = conn.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables ORDER BY 1, 2"
    ).fetchall()
    assert ("formatted", "sales", "BASE TABLE") in rows
    assert {row[0] for row in rows} <= {"exploitation", "formatted", "landing", "ops", "quarantine"}


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.sql")))
def test_jdbc_catalog_queries_run(conn, fixture):
    rows = conn.execute((FIXTURES / fixture).read_text()).fetchall()
    expected = {
        "jdbc_get_tables.sql": lambda: rows[0][1:4] == ("formatted", "sales", "TABLE"),
        "jdbc_get_columns.sql": lambda: (
            rows[0][2:4] == ("store", 25) and rows[0][12] == "Store code."
        ),
        "jdbc_get_primary_keys.sql": lambda: rows == [],
        "jdbc_get_schemas.sql": lambda: ("formatted", None) in rows,
        "jdbc_type_info.sql": lambda: rows == [(True, "b", "_int4", 1007)],
    }
    assert expected[fixture]()


def test_sqlalchemy_1_4_index_query_runs(conn):
    """What Superset 6.1 (SQLAlchemy 1.4's get_indexes) sends to create a dataset: `= ANY` of
    an array inside an outer join, which DuckDB cannot plan as it stands."""
    oid = conn.execute(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'formatted' AND c.relname = 'sales'"
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT i.relname as relname, ix.indisunique, ix.indexprs, a.attname, a.attnum, "
        "c.conrelid, ix.indkey::varchar, ix.indoption::varchar, i.reloptions, am.amname, "
        "pg_get_expr(ix.indpred, ix.indrelid), ix.indnkeyatts as indnkeyatts "
        "FROM pg_class t join pg_index ix on t.oid = ix.indrelid "
        "join pg_class i on i.oid = ix.indexrelid "
        "left outer join pg_attribute a on t.oid = a.attrelid and a.attnum = ANY(ix.indkey) "
        "left outer join pg_constraint c on (ix.indrelid = c.conrelid and "
        "ix.indexrelid = c.conindid and c.contype in ('p', 'u', 'x')) "
        "left outer join pg_am am on i.relam = am.oid "
        f"WHERE t.relkind IN ('r', 'v', 'f', 'm', 'p') and t.oid = {oid} "
        "and ix.indisprimary = 'f' ORDER BY t.relname, i.relname"
    ).fetchall()
    assert rows == []
