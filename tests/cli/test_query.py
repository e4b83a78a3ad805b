"""`lakebox query` answers as the UI does (read-only, allowed functions, clear engine errors,
lakebox tables suggested for an unknown one) and `lakebox history` takes a table's name."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import lakebox


def test_a_write_is_refused_as_read_only_with_the_hint(ran):
    result = lakebox("query", "DELETE FROM formatted.sales", cwd=ran)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: only reading statements are allowed here, not DELETE")
    assert "change data through sources and models" in result.stderr
    count = lakebox("query", "SELECT count(*) AS n FROM sales", "--format", "json", cwd=ran)
    assert count.returncode == 1  # `sales` alone is no table: see the next test
    counted = "SELECT count(*) AS n FROM formatted.sales"
    kept = lakebox("query", counted, "--format", "json", cwd=ran)
    assert json.loads(kept.stdout) == [{"n": 2}]


def test_an_unknown_table_suggests_the_lakebox_tables_of_that_name(ran):
    result = lakebox("query", "SELECT * FROM sales", cwd=ran)
    assert result.returncode == 1
    assert "did you mean formatted.sales or quarantine.sales?" in result.stderr
    assert "pg_" not in result.stderr


def test_a_function_off_the_allow_list_is_refused(ran):
    result = lakebox("query", "SELECT * FROM pandas_scan(NULL)", cwd=ran)
    assert result.returncode == 1
    assert result.stderr.startswith("error: function pandas_scan is not allowed in read-only SQL")


@pytest.mark.parametrize(
    ("sql", "shown"),
    [
        ("SELECT 'infinity'::DATE AS d", '[{"d": "infinity"}]'),
        ("SELECT NULL::VARIANT AS v", "error: the result cannot be sent"),
        ("SELECT make_timestamp(300000, 1, 1, 0, 0, 0) AS t", "not in timestamp range"),
    ],
)
def test_engine_errors_and_odd_values_are_clear(ran, sql, shown):
    result = lakebox("query", sql, "--format", "json", cwd=ran)
    assert "Traceback" not in result.stderr
    assert shown in (result.stdout.replace("\n", "").replace("  ", "") + result.stderr)


def test_history_finds_a_table_by_its_name_alone(ran):
    named = json.loads(lakebox("history", "sales", "--json", cwd=ran).stdout)
    full = json.loads(lakebox("history", "formatted.sales", "--json", cwd=ran).stdout)
    assert named == full and len(named) == 1
    unknown = lakebox("history", "nosuch", cwd=ran)
    assert unknown.returncode == 1 and "no table 'nosuch'" in unknown.stderr
