"""The catalog rewrite rules, one PostgreSQL idiom at a time."""

from __future__ import annotations

import pytest

from lakebox.serving.pgwire.rewrite import needs_rewrite, to_duckdb

CASES = [
    ("SELECT nspname FROM pg_catalog.pg_namespace", "FROM _lakebox_pg.pg_namespace"),
    ("SELECT relname FROM pg_class", "FROM _lakebox_pg.pg_class"),
    ("SELECT pg_catalog.pg_class.relname FROM pg_catalog.pg_class", "_lakebox_pg.pg_class.relname"),
    ("SELECT * FROM information_schema.tables", "FROM _lakebox_information_schema.tables"),
    ("SELECT pg_catalog.format_type(t, m)", "_lakebox_pg.format_type(t, m) AS \"format_type\""),
    ("SELECT 'formatted.sales'::regclass", "_lakebox_pg.regclass_oid('formatted.sales')"),
    ("SELECT c.oid::pg_catalog.regclass::text", "_lakebox_pg.regclass_name(c.oid)"),
    ("SELECT t.oid::regtype::text", "_lakebox_pg.regtype_name(t.oid)"),
    ("SELECT a.attrelid::oid", "CAST(a.attrelid AS BIGINT)"),
    ("SELECT x::pg_catalog.int2[]", "CAST(x AS SMALLINT[])"),
    ("SELECT 1 WHERE n OPERATOR(pg_catalog.~) '^(a)$' COLLATE pg_catalog.default",
     "REGEXP_MATCHES(n, '^(a)$')"),
    ("SELECT pg_catalog.version()", "_lakebox_pg.version() AS \"version\""),
    ("SELECT current_schema()", "_lakebox_pg.current_schema() AS \"current_schema\""),
    ("SELECT x FROM pg_catalog.unnest(a) x", "UNNEST(a) AS x(x)"),
    ("SELECT json_build_object('k', 1) FROM pg_sequence", "{'k': 1}"),
    ("SELECT pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) FROM pg_class c",
     "_lakebox_pg.pg_size_pretty(_lakebox_pg.pg_table_size(c.oid))"),
    ("SELECT 1 FROM pg_index ix LEFT JOIN pg_attribute a ON a.attnum = ANY(ix.indkey)",
     "LIST_CONTAINS(ix.indkey, a.attnum)"),
]  # fmt: skip


@pytest.mark.parametrize(("postgres", "expected"), CASES)
def test_catalog_sql_is_rewritten(postgres, expected):
    assert needs_rewrite(postgres)
    assert expected in to_duckdb(postgres)


def test_any_over_a_subquery_stays_a_subquery():
    assert "= ANY (SELECT" in to_duckdb("SELECT 1 FROM pg_class WHERE oid = ANY(SELECT 1)")


def test_other_sql_is_left_alone():
    assert not needs_rewrite("SELECT store, sum(amount) FROM formatted.sales GROUP BY 1")
    assert to_duckdb("SELECT pg_nothing FROM (") == "SELECT pg_nothing FROM ("
