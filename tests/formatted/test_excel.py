"""Workbooks as clients send them: a title above the table, merged cells, formulas, sheets."""

from __future__ import annotations

from datetime import date, datetime

import xlsxwriter

from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land


def _workbook(path):
    book = xlsxwriter.Workbook(str(path))
    first = book.add_worksheet("Norte")
    first.write(0, 0, "Consumos 2023 — planta norte")  # a title, then a blank row
    first.merge_range(2, 0, 2, 1, "Material")  # one header over two columns
    first.write(2, 2, "kg")
    first.write_row(3, 0, ["Arcilla", "roja", 10])
    first.merge_range(4, 0, 5, 0, "Caolín")  # one value for two rows
    first.write_row(4, 1, ["blanco", 5])
    first.write(5, 1, "crema")
    first.write_formula(5, 2, "=C5*2", None, 10)  # a formula and the value Excel cached
    second = book.add_worksheet("Sur")
    second.write_row(0, 0, ["Material", "Material", "kg"])
    second.write_row(1, 0, ["Feldespato", "sódico", 7.5])
    book.close()


def test_titles_merged_cells_and_formulas(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _workbook(folder / "consumos.xlsx")
    lh = make_project({"materials": {"path": str(folder)}})
    land(lh, "materials")

    [result] = format_pending(lh, "materials")

    assert result.error is None
    assert result.counts.rows_read == 4
    rows = lh.query(
        "SELECT material, material_2, kg, _source_line, split_part(_source_file, '#', 2) AS sheet"
        " FROM formatted.materials ORDER BY sheet, _source_line"
    ).to_pylist()
    assert rows == [
        {
            "material": "Arcilla",
            "material_2": "roja",
            "kg": 10.0,
            "_source_line": 4,
            "sheet": "Norte",
        },
        {
            "material": "Caolín",
            "material_2": "blanco",
            "kg": 5.0,
            "_source_line": 5,
            "sheet": "Norte",
        },
        {
            "material": "Caolín",
            "material_2": "crema",
            "kg": 10.0,
            "_source_line": 6,
            "sheet": "Norte",
        },
        {
            "material": "Feldespato",
            "material_2": "sódico",
            "kg": 7.5,
            "_source_line": 2,
            "sheet": "Sur",
        },
    ]


def test_named_sheets_only(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _workbook(folder / "consumos.xlsx")
    lh = make_project({"materials": {"path": str(folder), "sheets": ["Sur"]}})
    land(lh, "materials")

    [result] = format_pending(lh, "materials")

    assert result.counts.rows_read == 1


def _stock_with_notes(path, notes: list[str] | None = None, second: str = "Notes"):
    """A "Stock" sheet with typed numbers and dates, and a second sheet of notes."""
    book = xlsxwriter.Workbook(str(path))
    stock = book.add_worksheet("Stock")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stock.write_row(0, 0, ["sku", "qty", "price", "counted"])
    for line, (sku, qty, price, counted) in enumerate(
        [("A-1", 12, 3.5, date(2026, 11, 2)), ("B-2", 0, 10.25, date(2026, 11, 3))], start=1
    ):
        stock.write_row(line, 0, [sku, qty, price])
        stock.write_datetime(line, 3, datetime.combine(counted, datetime.min.time()), day)
    sheet = book.add_worksheet(second)
    for line, note in enumerate(notes or ["Counted by Ana on Monday; prices without VAT."]):
        sheet.write(line, 0, note)
    book.close()


def test_a_sheet_holding_one_note_is_not_read_by_default(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _stock_with_notes(folder / "stock.xlsx")
    lh = make_project({"stock": {"path": str(folder)}})
    land(lh, "stock")

    [result] = format_pending(lh, "stock")

    assert (result.status, result.error) == ("formatted", None)
    assert (result.counts.rows_read, result.counts.rows_formatted) == (2, 2)
    rows = lh.query("SELECT * EXCLUDE (_ingested_at) FROM formatted.stock ORDER BY sku")
    assert rows.column_names[:4] == ["sku", "qty", "price", "counted"]
    assert rows.select(["sku", "qty", "price", "counted"]).to_pylist() == [
        {"sku": "A-1", "qty": 12, "price": 3.5, "counted": date(2026, 11, 2)},
        {"sku": "B-2", "qty": 0, "price": 10.25, "counted": date(2026, 11, 3)},
    ]


def test_sheets_that_share_no_column_are_refused_naming_the_sheet(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _stock_with_notes(folder / "stock.xlsx", ["Remark", "counted twice"], second="Remarks")
    lh = make_project({"stock": {"path": str(folder)}})
    land(lh, "stock")

    [result] = format_pending(lh, "stock")

    assert result.status == "failed"
    assert "stock.xlsx: sheet 'Remarks' has columns (remark) sharing none with sheet" in (
        result.error or ""
    )
    [entry] = lh.manifest.entries("stock")
    assert "sheets: [Stock]" in (entry.error or "")


def test_an_empty_column_of_a_named_sheet_goes_through_the_rules(make_project, tmp_path):
    """A named sheet whose only cell is a note: its column is all empty, which DuckDB types
    INTEGER; the text rules once failed on it (starts_with(INTEGER, ...))."""
    folder = tmp_path / "in"
    folder.mkdir()
    _stock_with_notes(folder / "stock.xlsx")
    lh = make_project({"stock": {"path": str(folder), "sheets": ["Stock", "Notes"]}})
    land(lh, "stock")

    [result] = format_pending(lh, "stock")

    assert (result.status, result.error) == ("formatted", None)
    assert result.counts.rows_formatted == 2
