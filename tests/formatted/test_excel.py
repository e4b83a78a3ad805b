"""Workbooks as clients send them: a title above the table, merged cells, formulas, sheets."""

from __future__ import annotations

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
