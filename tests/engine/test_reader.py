"""The reader database users' SQL runs on: the lakehouse's views, files only inside the
warehouse and landing zone, settings locked, whatever the SQL (the guard's second layer)."""

from __future__ import annotations

import duckdb
import pytest

from lakebox.orchestration.runner import run
from tests.conftest import write_file


@pytest.fixture
def lh(make_project):
    lh = make_project({"sales": {"path": "in/*.csv"}})
    write_file(lh.project_dir / "in", "a.csv", "id,store\n1,BCN\n2,LYS\n")
    assert run(lh).ok
    return lh


def test_the_reader_shows_the_tables_and_keeps_session_settings(lh):
    cursor = lh.reader().connection.cursor()
    assert cursor.execute("SELECT count(*) FROM formatted.sales").fetchone() == (2,)
    cursor.execute("SET search_path = 'formatted,main'")
    assert cursor.execute("SELECT count(*) FROM sales").fetchone() == (2,)
    assert cursor.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    cursor.execute("SET VARIABLE lakebox_backend_pid = 7")
    assert cursor.execute("SELECT getvariable('lakebox_backend_pid')").fetchone() == (7,)


def test_the_reader_follows_new_snapshots(lh):
    cursor = lh.reader().connection.cursor()
    write_file(lh.project_dir / "in", "b.csv", "id,store\n3,BCN\n")
    assert run(lh).ok
    lh.reader()
    assert cursor.execute("SELECT count(*) FROM formatted.sales").fetchone() == (3,)


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", duckdb.PermissionException),
        ("SELECT * FROM '{project}/lakebox.yaml'", duckdb.Error),
        ("COPY (SELECT 1) TO '{project}/in/x.csv'", duckdb.PermissionException),
        ("SET enable_external_access = true", duckdb.InvalidInputException),
        ("SET allowed_directories = ['/']", duckdb.InvalidInputException),
        ("SET TimeZone = 'Europe/Madrid'", duckdb.InvalidInputException),
        ("SET lock_configuration = false", duckdb.InvalidInputException),
    ],
)
def test_the_reader_refuses_files_outside_and_setting_changes(lh, sql, error):
    cursor = lh.reader().connection.cursor()
    with pytest.raises(error):
        cursor.execute(sql.format(project=lh.project_dir))
    assert not (lh.project_dir / "in" / "x.csv").exists()


def test_the_reader_closes_with_the_lakehouse(lh):
    reader = lh.reader()
    lh.close()
    with pytest.raises(duckdb.ConnectionException):
        reader.connection.execute("SELECT 1")
