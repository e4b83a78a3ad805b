"""Numbers with thousands separators, read when the column tells its decimal mark
(fixtures in tests/formatted/fixtures/thousands/)."""

from __future__ import annotations

import shutil
from pathlib import Path

from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land

FIXTURES = Path(__file__).parent / "fixtures" / "thousands"


def _formatted(make_project, tmp_path, name: str, **amount: object):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / name, folder / name)
    columns = {"amount": {"type": "DOUBLE", **amount}}
    lh = make_project({"prices": {"path": str(folder), "columns": columns}})
    land(lh, "prices")
    [result] = format_pending(lh, "prices")
    good = lh.query("SELECT id, amount FROM formatted.prices ORDER BY id").to_pylist()
    bad = lh.query("SELECT _reason FROM quarantine.prices ORDER BY _source_line")
    return result, {row["id"]: row["amount"] for row in good}, bad.column("_reason").to_pylist()


def test_a_comma_separates_thousands_in_a_column_with_a_decimal_point(make_project, tmp_path):
    result, amounts, reasons = _formatted(make_project, tmp_path, "dot.csv")

    assert amounts == {1: 1234.5, 2: 999.0, 3: 1234.0, 4: 12.0}
    assert reasons == ["amount: 'about 7' is not a DOUBLE"]
    assert (result.counts.rows_read, result.counts.rows_quarantined) == (5, 1)


def test_a_point_separates_thousands_in_a_column_with_a_decimal_comma(make_project, tmp_path):
    _, amounts, reasons = _formatted(make_project, tmp_path, "comma.csv")

    assert amounts == {1: 1234.5, 2: 12.5, 3: 1234.0, 4: 1234567.0}
    assert reasons == ["amount: 'about 7' is not a DOUBLE"]


def test_an_ambiguous_value_is_quarantined_saying_why(make_project, tmp_path):
    _, amounts, reasons = _formatted(make_project, tmp_path, "mixed.csv")

    assert amounts == {1: 1234.5, 2: 12.5}
    assert len(reasons) == 1
    assert reasons[0].startswith("amount: '1,234' is ambiguous: its comma may separate thousands")


def test_a_declared_decimal_mark_decides(make_project, tmp_path):
    _, amounts, reasons = _formatted(make_project, tmp_path, "declared.csv", decimal=".")

    assert (amounts, reasons) == ({1: 1234.0, 2: 7.0}, [])


def test_an_inferred_column_with_thousands_separators_is_a_number(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dot.csv").write_text('id,amount\n1,"1,234.50"\n2,999.00\n3,"1,234"\n4,12\n')
    lh = make_project({"prices": {"path": str(folder)}})
    land(lh, "prices")
    format_pending(lh, "prices")

    rows = lh.query(
        "SELECT sum(amount) AS total, typeof(sum(amount)) AS kind FROM formatted.prices"
    )

    assert rows.to_pylist() == [{"total": 3479.5, "kind": "DOUBLE"}]
