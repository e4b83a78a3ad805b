"""A table's physical metadata, on a real project run twice: a `;`-delimited Latin-1 CSV
whose settings are detected, one whose settings are configured, an Excel workbook read from
one sheet below a title, a source whose schema widens a column and adds another on the
second run, and a model over the first."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter
import yaml

import lakebox
from lakebox.catalog import TableRef
from lakebox.errors import CatalogError
from lakebox.governance.physical import Physical, describe
from lakebox.governance.physical_text import read_text, setting_text, size_text, version_text
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.runner import run
from tests.conftest import write_file

SALES = "id;name;amount\n1;Jos\xe9;10,5\n2;Ana;3,25\n".encode("latin-1")
SOURCES = {
    "sales": {"path": "in/sales/*.csv"},
    "legacy": {"path": "in/legacy/*.txt", "encoding": "latin-1", "delimiter": "|", "header": True},
    "stock": {"path": "in/stock/*.xlsx", "sheets": ["Stock"]},
    "events": {"path": "in/events/*.csv", "columns": {"n": {"type": "INTEGER"}}},
}


def _workbook(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Notes").write(0, 0, "read me")
    sheet = book.add_worksheet("Stock")
    sheet.write(0, 0, "Stock report, week 12")
    sheet.write_row(2, 0, ["sku", "store", "qty"])
    sheet.write_row(3, 0, ["a-1", "BCN", 4])
    sheet.write_row(4, 0, ["b-2", "LYS", 7])
    book.close()


@pytest.fixture(scope="module")
def lh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    project = tmp_path_factory.mktemp("physical")
    document = {"name": "physical", "engine": {"memory_limit": "1GB", "threads": 2}}
    (project / "lakebox.yaml").write_text(yaml.safe_dump({**document, "sources": SOURCES}))
    write_file(project / "in" / "sales", "1.csv", SALES)
    write_file(project / "in" / "legacy", "1.txt", "code|label\n7|caf\xe9\n".encode("latin-1"))
    _workbook(project / "in" / "stock" / "week12.xlsx")
    write_file(project / "in" / "events", "1.csv", "id,n\n1,5\n")
    write_file(project / "models", "totals.sql", "SELECT sum(amount) AS n FROM formatted.sales")
    with lakebox.open(project) as opened:
        assert run(opened).ok
        write_file(project / "in" / "events", "2.csv", "id,n,channel\n2,9000000000,web\n")
        assert run(opened).ok
        yield opened


def _settings(found: Physical) -> dict[str, tuple[object, str]]:
    return {setting.name: (setting.value, setting.origin) for setting in found.settings}


def test_a_csv_s_detected_settings(lh: Lakehouse) -> None:
    found = describe(lh, TableRef("formatted", "sales"))
    settings = _settings(found)

    assert (found.kind, found.source) == ("source", "sales")
    assert settings["format"] == ("csv", "detected")
    assert settings["encoding"] == ("cp1252", "detected")  # Latin-1 text decodes as cp1252
    assert settings["delimiter"] == (";", "detected")
    assert settings["header"] == (True, "detected")
    assert settings["header_row"] == (1, "detected")
    assert settings["decimal_marks"] == ({"amount": ","}, "detected")
    assert settings["path"] == ("in/sales/*.csv", "configured")
    assert settings["timezone"] == ("UTC", "default")
    assert "sheets" not in settings and "nested" not in settings  # not a CSV's settings
    assert (found.objects_read, found.objects_recorded) == (1, 1)


def test_configured_settings_are_told_from_detected_ones(lh: Lakehouse) -> None:
    settings = _settings(describe(lh, TableRef("formatted", "legacy")))

    assert settings["encoding"] == ("iso8859-1", "configured")
    assert settings["delimiter"] == ("|", "configured")
    assert settings["header"] == (True, "configured")
    assert settings["format"] == ("csv", "detected")  # from the extension .txt
    rows = lh.query("SELECT label FROM formatted.legacy").to_pylist()
    assert rows == [{"label": "caf\xe9"}]


def test_a_workbook_s_sheet_and_header_row(lh: Lakehouse) -> None:
    settings = _settings(describe(lh, TableRef("formatted", "stock")))

    assert settings["format"] == ("excel", "detected")
    assert settings["sheets"] == (["Stock"], "configured")
    assert settings["header_rows"] == ({"Stock": 3}, "detected")  # below the title row
    assert "delimiter" not in settings


def test_the_schema_versions_of_a_widened_and_extended_source(lh: Lakehouse) -> None:
    found = describe(lh, TableRef("formatted", "events"))
    first, second = found.schemas
    oldest, newest = found.snapshots[-1], found.snapshots[0]

    assert (first.changes, first.current, second.current) == ([], False, True)
    assert [(c.column, c.change, c.previous, c.type) for c in second.changes] == [
        ("n", "widened", "int", "long"),
        ("channel", "added", None, "string"),
    ]
    assert (first.snapshot_id, second.snapshot_id) == (oldest.snapshot_id, newest.snapshot_id)
    assert (first.since, second.since) == (oldest.committed_at, newest.committed_at)
    assert (oldest.schema_id, newest.schema_id) == (first.schema_id, second.schema_id)
    assert version_text(second) == "widened n int → long; added channel (string)"


def test_files_and_snapshots_of_the_current_table(lh: Lakehouse) -> None:
    found = describe(lh, TableRef("formatted", "events"))
    files = found.files

    assert (files.count, files.rows, files.delete_files) == (2, 2, 0)
    assert files.min_bytes <= files.median_bytes <= files.max_bytes
    assert files.total_bytes >= files.min_bytes + files.max_bytes
    assert found.partitioning == [] and found.format_version == 2
    assert found.location == "warehouse/formatted/events"
    assert found.snapshot_count == len(found.snapshots) == 2
    assert len(describe(lh, TableRef("formatted", "events"), snapshots=1).snapshots) == 1


def test_file_counts_match_iceberg_also_for_files_without_rows(lh: Lakehouse) -> None:
    for ref in lh.catalog.metadata_locations():
        table = lh.catalog.load(ref)
        if table is None or table.current_snapshot() is None:
            continue
        listed = table.inspect.files().to_pylist()
        files = describe(lh, ref).files
        assert files.count == sum(1 for row in listed if row["content"] == 0), ref
        assert files.total_bytes == sum(
            row["file_size_in_bytes"] for row in listed if row["content"] == 0
        ), ref


def test_each_snapshot_names_the_landing_object_behind_it(lh: Lakehouse) -> None:
    found = describe(lh, TableRef("formatted", "events"))
    landed = [(s.batch_ids, [o.batch_id for o in s.landing]) for s in found.snapshots]
    [second] = found.snapshots[0].landing
    data = (lh.project_dir / "in" / "events" / "2.csv").read_bytes()

    assert all(batches == objects and len(batches) == 1 for batches, objects in landed)
    assert second.original_path.endswith("2.csv") and second.landed_path.endswith("__2.csv")
    assert (second.bytes, second.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (second.status, second.rows_read, second.rows_formatted) == ("formatted", 1, 1)
    assert second.read_with["encoding"] == {"value": "utf-8", "origin": "detected"}
    assert read_text(second.read_with).startswith("csv; encoding utf-8; delimiter ,")


def test_the_quarantine_table_has_the_same_landing_objects(lh: Lakehouse) -> None:
    found = describe(lh, TableRef("quarantine", "sales"))
    formatted = describe(lh, TableRef("formatted", "sales"))

    assert found.kind == "source"
    assert found.snapshots[0].landing == formatted.snapshots[0].landing


def test_a_model_shows_its_file_hash_and_input_snapshots(lh: Lakehouse) -> None:
    found = describe(lh, TableRef("exploitation", "totals"))
    sales = lh.catalog.load(TableRef("formatted", "sales")).current_snapshot()

    assert (found.kind, found.settings, found.source) == ("model", [], None)
    assert found.model.file == "models/totals.sql"
    assert found.model.sql_hash == found.model.built_hash
    assert found.model.inputs == {"formatted.sales": sales.snapshot_id}
    assert found.snapshots[0].inputs == {"formatted.sales": sales.snapshot_id}
    assert found.snapshots[0].landing == []


def test_lakebox_s_own_tables_are_plain_tables(lh: Lakehouse) -> None:
    found = describe(lh, TableRef("ops", "runs"))

    assert (found.kind, found.model, found.settings) == ("table", None, [])
    assert found.snapshot_count == 2


def test_an_unknown_table_is_a_clear_error(lh: Lakehouse) -> None:
    with pytest.raises(CatalogError, match=r"no table 'formatted\.nosuch'"):
        describe(lh, TableRef("formatted", "nosuch"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("\t", "tab"),
        ("", '""'),
        (True, "yes"),
        (None, "none"),
        ([], "none"),
        ({"a": ","}, "a: ,"),
        ("\x1e", "'\\x1e'"),
    ],
)
def test_setting_values_as_text(value: object, text: str) -> None:
    assert setting_text(value) == text


def test_sizes_as_text() -> None:
    assert [size_text(n) for n in (None, 38, 1536, 5 * 2**30)] == ["", "38 B", "1.5 KiB", "5.0 GiB"]
