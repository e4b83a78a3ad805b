"""Broken and hostile workbooks fail alone, with a reason, and never take the run down: the
workbook is parsed in a child process held to the source's limits, after the sizes it
declares (sheet range, unzipped parts) are checked."""

from __future__ import annotations

import pytest

from lakebox.catalog.manifest import Status
from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land
from tests.formatted.hostile_workbooks import ROWS, sheet, write_workbook

BROKEN = {
    "undefined_entity": sheet(ROWS.replace("<t>bolt</t>", "<t>&bogus;</t>")),
    "truncated_value": sheet(ROWS.replace("<v>3</v></c></row>", "<v>3")).removesuffix(
        "</sheetData></worksheet>"
    ),
    "shared_string_999": sheet(ROWS.replace('t="s"><v>0</v>', 't="s"><v>999</v>')),
    "non_numeric_value": sheet(ROWS.replace('<c r="B2"><v>3</v>', '<c r="B2" t="n"><v>x</v>')),
}


def _format(make_project, tmp_path, hostile: str, limits: dict | None = None):
    """Land a sound workbook and a hostile one in one source; return the results by file."""
    folder = tmp_path / "in"
    write_workbook(folder / "a_sound.xlsx", sheet())
    write_workbook(folder / "b_hostile.xlsx", hostile)
    source = {"path": str(folder), **({"limits": limits} if limits else {})}
    lh = make_project({"stock": source})
    land(lh, "stock")
    results = format_pending(lh, "stock")
    paths = {entry.batch_id: entry.landed_path for entry in lh.manifest.entries("stock")}
    by_file = {paths[result.batch_id].rsplit("__", 1)[-1]: result for result in results}
    return lh, by_file["a_sound.xlsx"], by_file["b_hostile.xlsx"]


def _manifest_row(lh, result):
    [entry] = [e for e in lh.manifest.entries("stock") if e.batch_id == result.batch_id]
    return entry


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_worksheet_fails_alone(make_project, tmp_path, name):
    lh, sound, broken = _format(make_project, tmp_path, BROKEN[name])

    assert sound.status == Status.FORMATTED and sound.counts.rows_formatted == 1
    assert broken.status == Status.FAILED
    assert "b_hostile.xlsx" in broken.error
    entry = _manifest_row(lh, broken)
    assert entry.status == Status.FAILED and entry.error == broken.error


@pytest.mark.parametrize(
    ("last_cell", "dimension"),
    [("XFD1048576", "A1:XFD1048576"), ("ZZ200000", "A1:B2"), ("C3", "A1:ZZ200000")],
)
def test_a_sheet_spanning_too_many_cells_is_refused_before_reading(
    make_project, tmp_path, last_cell, dimension
):
    row = last_cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    rows = f'{ROWS}<row r="{row}"><c r="{last_cell}"><v>1</v></c></row>'
    _, sound, hostile = _format(make_project, tmp_path, sheet(rows, dimension))

    assert sound.status == Status.FORMATTED
    assert hostile.status == Status.FAILED
    assert "limits.sheet_cells" in hostile.error and "sheet1.xml" in hostile.error


def test_a_padded_part_past_the_unzipped_cap_is_refused(make_project, tmp_path):
    padded = sheet(padding=12 * 1024 * 1024)  # 12 MiB of spaces zip to a few KiB
    _, sound, hostile = _format(make_project, tmp_path, padded, {"unzipped": "8MiB"})

    assert sound.status == Status.FORMATTED
    assert hostile.status == Status.FAILED
    assert "limits.unzipped" in hostile.error and "past the cap of 8,388,608" in hostile.error


def test_a_zip_bomb_part_is_refused_by_its_ratio(make_project, tmp_path):
    bomb = sheet(padding=40 * 1024 * 1024)  # under the default cap, expanding ~1000 times

    _, _, hostile = _format(make_project, tmp_path, bomb)

    assert hostile.status == Status.FAILED
    assert "expands" in hostile.error and "sheet1.xml" in hostile.error


def test_a_native_crash_of_the_reader_fails_the_file_not_the_run(make_project, tmp_path):
    # with the cell cap lifted, the parser tries to allocate the whole range and aborts
    rows = f'{ROWS}<row r="200000"><c r="ZZ200000"><v>1</v></c></row>'
    limits = {"sheet_cells": 10**12, "memory": "700MiB"}
    lh, sound, hostile = _format(make_project, tmp_path, sheet(rows, "A1:ZZ200000"), limits)

    assert sound.status == Status.FORMATTED
    assert hostile.status == Status.FAILED
    assert "limits.memory" in hostile.error
    assert _manifest_row(lh, hostile).status == Status.FAILED


def test_a_reader_past_its_time_limit_is_stopped(make_project, tmp_path):
    _, _, hostile = _format(make_project, tmp_path, sheet(dimension="A1:B3"), {"time": "0.001"})

    assert hostile.status == Status.FAILED
    assert "limits.time" in hostile.error
