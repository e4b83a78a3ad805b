"""Extensions load from their PyPI packages: a process that opens many projects maps each
extension file once, not once per project (DuckDB never unloads an extension)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakebox.engine.duckdb import extension_file
from lakebox.errors import EngineError
from lakebox.orchestration.runner import run
from tests.conftest import write_file


def _mapped_extension_files() -> set[str]:
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[-1] for line in lines if line.endswith(".duckdb_extension")}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_projects_share_the_loaded_extension_files(make_project, tmp_path) -> None:
    for folder in ("one", "two", "three"):
        lh = make_project(folder=folder)
        lh.engine.load_extension("sqlite")  # its entry point is named sqlite_scanner
        lh.engine.ensure_extensions()  # a project without tables loads them only when needed
        lh.query("SELECT 1")
        lh.close()
    mapped = _mapped_extension_files()
    assert {str(extension_file(name)) for name in ("iceberg", "sqlite")} <= mapped
    assert [path for path in mapped if path.startswith(str(tmp_path))] == []


def test_a_missing_extension_package_says_what_to_install() -> None:
    with pytest.raises(EngineError, match="pip install duckdb-extension-nosuch=="):
        extension_file("nosuch")


def _loaded(connection) -> set[str]:
    """The extensions of EXTENSIONS whose functions `connection`'s database has (asked on
    the raw connection: the engine's execute() would load them)."""
    rows = connection.execute(
        "SELECT function_name FROM duckdb_functions() "
        "WHERE function_name IN ('iceberg_scan', 'read_avro')"
    ).fetchall()
    return {name.split("_")[0] if name.startswith("iceberg") else "avro" for (name,) in rows}


def test_iceberg_and_avro_load_when_first_needed(make_project, tmp_path) -> None:
    # loading them costs a quarter of a second; SQL that reads no table does without
    write_file(tmp_path / "in", "1.csv", "id,city\n1,Lyon\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    assert lh.query("SELECT 1 AS one").to_pylist() == [{"one": 1}]
    assert _loaded(lh.engine.connection) == set()
    run(lh)  # a table appears: its view needs the extensions
    assert _loaded(lh.engine.connection) == {"iceberg", "avro"}
    assert lh.query("SELECT city FROM formatted.sales").to_pylist() == [{"city": "Lyon"}]


def test_a_confined_engine_and_the_reader_have_their_extensions_loaded(make_project) -> None:
    lh = make_project()
    lh.engine.confine([str(lh.project_dir)])
    assert _loaded(lh.engine.connection) == {"iceberg", "avro"}
    with lh.reading() as reader:
        assert _loaded(reader.connection) == {"iceberg", "avro"}
