"""Extensions load from their PyPI packages: a process that opens many projects maps each
extension file once, not once per project (DuckDB never unloads an extension)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakebox.engine.duckdb import extension_file
from lakebox.errors import EngineError


def _mapped_extension_files() -> set[str]:
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[-1] for line in lines if line.endswith(".duckdb_extension")}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_projects_share_the_loaded_extension_files(make_project, tmp_path) -> None:
    for folder in ("one", "two", "three"):
        lh = make_project(folder=folder)
        lh.engine.load_extension("sqlite")  # its entry point is named sqlite_scanner
        lh.query("SELECT 1")
        lh.close()
    mapped = _mapped_extension_files()
    assert {str(extension_file(name)) for name in ("iceberg", "sqlite")} <= mapped
    assert [path for path in mapped if path.startswith(str(tmp_path))] == []


def test_a_missing_extension_package_says_what_to_install() -> None:
    with pytest.raises(EngineError, match="pip install duckdb-extension-nosuch=="):
        extension_file("nosuch")
