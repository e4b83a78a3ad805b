"""Tables are plain Iceberg: readable by DuckDB's iceberg_scan outside lakebox."""

from __future__ import annotations

import duckdb
import duckdb_extensions

from lakebox.catalog import TableRef
from lakebox.orchestration.runner import run
from tests.conftest import write_file


def test_plain_duckdb_reads_a_formatted_table(make_project, tmp_path):
    write_file(tmp_path / "in", "1.csv", "id,city\n1,Lyon\n2,Porto\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    run(lh)
    location = lh.catalog.load(TableRef("formatted", "sales")).metadata_location
    lh.close()

    connection = duckdb.connect(
        config={
            "extension_directory": str(tmp_path / "ext"),
            "autoinstall_known_extensions": "false",
        }
    )
    for extension in ("avro", "iceberg"):
        duckdb_extensions.import_extension(extension, con=connection)
        connection.execute(f"LOAD {extension}")
    rows = connection.execute(
        f"SELECT id, city, _batch_id IS NOT NULL FROM iceberg_scan('{location}') ORDER BY id"
    ).fetchall()

    assert rows == [(1, "Lyon", True), (2, "Porto", True)]
