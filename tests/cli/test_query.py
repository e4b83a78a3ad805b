"""`lakebox query` answers as the UI does (read-only, allowed functions, clear engine errors,
lakebox tables suggested for an unknown one) and `lakebox history` takes a table's name."""

from __future__ import annotations

import json
import subprocess
import sys

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


def _modules_after_query(project, sql: str) -> tuple[list[str], str]:
    """Run `lakebox query sql` in a fresh interpreter; return the heavy packages it imported
    (of pyiceberg, SQLAlchemy, pandas) and what it printed."""
    probe = (
        "import json, runpy, sys\n"
        f"sys.argv = ['lakebox', 'query', {sql!r}, '--format', 'json']\n"
        "try:\n    runpy.run_module('lakebox.cli', run_name='__main__')\n"
        "except SystemExit as ended:\n    assert not ended.code, ended.code\n"
        "heavy = {'pyiceberg', 'sqlalchemy', 'pandas'}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    *shown, modules = done.stdout.strip().splitlines()
    return json.loads(modules), "\n".join(shown)


def test_a_query_imports_neither_pyiceberg_nor_sqlalchemy_nor_pandas(ran):
    # they cost most of a second to import; reading needs only the catalog's SQLite file
    modules, shown = _modules_after_query(ran, "SELECT count(*) AS n FROM formatted.sales")
    assert modules == []
    assert json.loads(shown) == [{"n": 2}]
    modules, shown = _modules_after_query(ran, "SELECT source, status FROM landing.manifest")
    assert modules == []
    assert json.loads(shown) == [{"source": "sales", "status": "formatted"}]


def test_the_manifest_reads_as_the_catalog_holds_it(ran):
    from lakebox.lakehouse import open_project

    with open_project(ran) as lh:
        expected = lh.manifest.to_arrow()
        shown = lh.query("SELECT * FROM landing.manifest")
        assert shown.schema == expected.schema
        assert shown.to_pylist() == expected.to_pylist()
        assert lh.manifest_arrow().equals(expected)
        assert len(expected) == 1 and expected.column("received_at")[0].as_py().tzinfo


def test_a_query_in_a_project_never_run_sees_every_zone(project):
    tables = lakebox("query", "SHOW ALL TABLES", "--format", "json", cwd=project)
    assert tables.returncode == 0, tables.stderr
    shown = {(row["schema"], row["name"]) for row in json.loads(tables.stdout)}
    assert ("landing", "manifest") in shown
    counted = lakebox("query", "SELECT count(*) AS n FROM landing.manifest", cwd=project)
    assert counted.returncode == 0, counted.stderr
