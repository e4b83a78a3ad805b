"""JSON numbers a DOUBLE cannot hold as written (1e309 would read inf, 1e-400 would read 0.0)
and NaN or infinities (not JSON) send their record to quarantine, with a reason naming the
field; nothing is changed silently."""

from __future__ import annotations

import pytest

from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land

GOOD = [
    '{"id": 1, "amount": 1.5e10, "note": "1e309"}',
    '{"id": 2, "amount": 0e-999, "note": "NaN, Infinity: [1e999]"}',
    '{"id": 3, "amount": -4.9e-324, "note": "a \\" quote: 1e999"}',
]
BAD = {
    '{"id": 4, "amount": 1e309}': "field 'amount': 1e309 is out of range",
    '{"id": 5, "amount": -1E+400}': "field 'amount': -1E+400 is out of range",
    '{"id": 6, "amount": 1e-400}': "field 'amount': 1e-400 is too small to keep",
    '{"id": 7, "amount": NaN}': "field 'amount': NaN is not a JSON number",
    '{"id": 8, "amount": Infinity}': "field 'amount': Infinity is not a JSON number",
    '{"id": 9, "amount": -inf}': "field 'amount': -inf is not a JSON number",
    '{"id": 10, "extra": {"deep": 1e999}}': "field 'deep': 1e999 is out of range",
    '{"id": 11, "list": [1, 2e308]}': "a number in a list: 2e308 is out of range",
    '{"id": 12, "big": ' + "9" * 400 + "}": "field 'big': 999",
}


def _format(make_project, tmp_path, name: str, data: str, kind: str):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_text(data)
    lh = make_project({"numbers": {"path": f"{folder}/{name}", "format": kind}})
    land(lh, "numbers")
    [result] = format_pending(lh, "numbers")
    return lh, result


@pytest.mark.parametrize("kind", ["ndjson", "json"])
def test_unusable_numbers_are_quarantined_with_the_field(make_project, tmp_path, kind):
    records = [*GOOD, *BAD]
    lines = "\n".join(records) + "\n"
    data = lines if kind == "ndjson" else "[\n" + ",\n".join(records) + "\n]\n"
    lh, result = _format(make_project, tmp_path, f"n.{kind}", data, kind)

    assert result.error is None
    counts = result.counts
    assert (counts.rows_read, counts.rows_formatted) == (len(records), len(GOOD))
    assert counts.rows_quarantined == len(BAD)
    amounts = lh.query("SELECT id, amount FROM formatted.numbers ORDER BY id").to_pylist()
    assert amounts == [
        {"id": 1, "amount": 1.5e10},
        {"id": 2, "amount": 0.0},
        {"id": 3, "amount": -4.9e-324},
    ]
    notes = lh.query("SELECT note FROM formatted.numbers ORDER BY id").column("note")
    assert notes.to_pylist()[0] == "1e309"
    reasons = lh.query("SELECT _raw, _reason FROM quarantine.numbers").to_pylist()
    assert len(reasons) == len(BAD)
    for wanted in BAD.values():
        assert any(wanted in row["_reason"] for row in reasons), (wanted, reasons)
    assert any("1e-400" in row["_raw"] for row in reasons)  # the text as it was written
    long = next(row["_reason"] for row in reasons if "big" in row["_reason"])
    assert "(400 characters)" in long
