"""`CatalogWatch` answers from what it read until another connection commits to the SQLite
catalog, or the file is replaced by another; then it reads the tables' locations again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lakebox.catalog.refs import TableRef
from lakebox.catalog.watch import CatalogWatch

SCHEMA = (
    "CREATE TABLE iceberg_tables (catalog_name TEXT, table_namespace TEXT, table_name TEXT, "
    "metadata_location TEXT)"
)


def _write(path: Path, *rows: tuple[str, str, str, str]) -> None:
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO iceberg_tables VALUES (?, ?, ?, ?)", rows)


def _catalog(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute(SCHEMA)
    return path


def test_a_missing_or_empty_catalog_has_no_table(tmp_path):
    watch = CatalogWatch(tmp_path / "catalog.db", "lakebox")
    assert watch.locations() == {}
    with sqlite3.connect(tmp_path / "catalog.db") as connection:
        connection.execute("CREATE TABLE other (x)")
    assert watch.locations() == {}
    watch.close()


def test_another_connections_commit_is_seen_at_once(tmp_path):
    path = _catalog(tmp_path / "catalog.db")
    watch = CatalogWatch(path, "lakebox")
    assert watch.locations() == {}
    _write(path, ("lakebox", "formatted", "sales", "s3://m/1.json"))
    assert watch.locations() == {TableRef("formatted", "sales"): "s3://m/1.json"}
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE iceberg_tables SET metadata_location = 's3://m/2.json'")
    assert watch.locations() == {TableRef("formatted", "sales"): "s3://m/2.json"}
    _write(path, ("another", "formatted", "skipped", "s3://m/x.json"))
    assert len(watch.locations()) == 1  # another catalog's table is not ours
    watch.close()


def test_a_catalog_replaced_by_another_file_is_read_anew(tmp_path):
    path = _catalog(tmp_path / "catalog.db")
    _write(path, ("lakebox", "formatted", "old", "s3://m/old.json"))
    watch = CatalogWatch(path, "lakebox")
    assert list(watch.locations()) == [TableRef("formatted", "old")]
    path.unlink()
    assert watch.locations() == {}
    _write(_catalog(path), ("lakebox", "exploitation", "new", "s3://m/new.json"))
    assert list(watch.locations()) == [TableRef("exploitation", "new")]
    watch.close()


def test_the_answer_is_a_copy(tmp_path):
    path = _catalog(tmp_path / "catalog.db")
    _write(path, ("lakebox", "formatted", "sales", "s3://m/1.json"))
    watch = CatalogWatch(path, "lakebox")
    watch.locations().clear()
    assert len(watch.locations()) == 1
    watch.close()


def test_a_forked_child_reads_on_a_connection_of_its_own(tmp_path):
    import os

    path = _catalog(tmp_path / "catalog.db")
    _write(path, ("lakebox", "formatted", "sales", "s3://m/1.json"))
    watch = CatalogWatch(path, "lakebox")
    inherited = watch.locations() and watch._connection
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's outcome is its exit status
        fresh = watch.locations() == {TableRef("formatted", "sales"): "s3://m/1.json"}
        os._exit(0 if fresh and watch._connection is not inherited else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    watch.close()
