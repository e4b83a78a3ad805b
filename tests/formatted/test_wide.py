"""Wide files: the cost of inferring and typing a file's columns grows gently with its width
(a 200-column CSV of three rows once ran DuckDB out of memory while sampling its schema)."""

from __future__ import annotations

import json

import pytest

from lakebox.formatted import long_typing
from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land


def _wide_csv(width: int) -> str:
    header = ",".join(f"c{index}" for index in range(width))
    rows = [
        ",".join(f"{row * index}" if index % 3 else f" text {row} " for index in range(width))
        for row in range(3)
    ]
    return "\n".join([header, *rows]) + "\n"


def _wide_ndjson(width: int) -> str:
    rows = [
        json.dumps({f"k{index}": row * index if index % 3 else f"t{row}" for index in range(width)})
        for row in range(3)
    ]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("kind", "name", "data"),
    [("csv", "wide.csv", _wide_csv(200)), ("ndjson", "wide.ndjson", _wide_ndjson(300))],
    ids=["csv-200-columns", "ndjson-300-keys"],
)
def test_a_wide_file_is_formatted_with_its_types(make_project, tmp_path, kind, name, data):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_text(data)
    lh = make_project({"wide": {"path": f"{folder}/{name}", "format": kind}})
    land(lh, "wide")
    [result] = format_pending(lh, "wide")

    assert result.error is None
    assert (result.counts.rows_read, result.counts.rows_formatted) == (3, 3)
    prefix = "c" if kind == "csv" else "k"
    columns = {
        row["column_name"]: row["column_type"]
        for row in lh.query("DESCRIBE formatted.wide").to_pylist()
    }
    assert columns[f"{prefix}0"] == "VARCHAR"
    assert columns[f"{prefix}1"] == "BIGINT"
    last = 199 if kind == "csv" else 299
    rows = lh.query(f'SELECT "{prefix}{last}" AS v FROM formatted.wide ORDER BY 1').column("v")
    assert rows.to_pylist() == [0, last, 2 * last]


def test_a_bad_value_far_right_in_a_wide_file_is_quarantined_with_its_column(
    make_project, tmp_path
):
    width = 180
    header = ",".join(f"c{index}" for index in range(width))
    rows = [",".join(str(row + index) for index in range(width)) for row in range(4)]
    rows[2] = rows[2].replace(",152,", ",oops,")  # row 2, column c150
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wide.csv").write_text("\n".join([header, *rows]) + "\n")
    source = {"path": f"{folder}/wide.csv", "columns": {"c150": {"type": "BIGINT"}}}
    lh = make_project({"wide": source})
    land(lh, "wide")
    [result] = format_pending(lh, "wide")

    assert (result.counts.rows_formatted, result.counts.rows_quarantined) == (3, 1)
    [bad] = lh.query("SELECT _column, _reason, _raw, _source_line FROM quarantine.wide").to_pylist()
    assert bad["_column"] == "c150"
    assert "c150: 'oops' is not a BIGINT" in bad["_reason"]
    assert bad["_source_line"] == 4
    raw = json.loads(bad["_raw"])
    assert (len(raw), raw["c0"], raw["c150"], raw[f"c{width - 1}"]) == (width, "2", "oops", "181")
    kept = lh.query("SELECT c0, c179 FROM formatted.wide ORDER BY c0").to_pylist()
    assert kept == [{"c0": 0, "c179": 179}, {"c0": 1, "c179": 180}, {"c0": 3, "c179": 182}]


def test_a_wide_file_quarantines_a_record_for_its_first_failing_column(make_project, tmp_path):
    """Most columns of a wide file are typed together in long form, a declared one on its
    own: a record's reason is still its first failing column's (declared columns come
    first), its raw text whole."""
    width = 60
    records = [{f"k{index}": f"t{index}" if index % 2 else index for index in range(width)}]
    records.append({**records[0], "k31": "a\u0000b", "k40": "oops"})  # k40 is declared
    records.append({**records[0], "k51": "z\u0000", "k31": "\u0000"})
    records.append({**records[0], "k51": "z\u0000"})
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wide.ndjson").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    source = {
        "path": f"{folder}/wide.ndjson",
        "format": "ndjson",
        "columns": {"k40": {"type": "BIGINT"}},
    }
    lh = make_project({"wide": source})
    land(lh, "wide")
    [result] = format_pending(lh, "wide")

    assert (result.counts.rows_formatted, result.counts.rows_quarantined) == (1, 3)
    bad = lh.query(
        "SELECT _column, _reason, _raw FROM quarantine.wide ORDER BY _source_line"
    ).to_pylist()
    assert [row["_column"] for row in bad] == ["k40", "k31", "k51"]
    assert [row["_reason"] for row in bad] == [
        "k40: 'oops' is not a BIGINT",
        "k31: holds a NUL byte",
        "k51: holds a NUL byte",
    ]
    raw = json.loads(bad[0]["_raw"])
    assert (len(raw), raw["k0"], raw["k31"], raw["k40"]) == (width, "0", "a\u0000b", "oops")
    [good] = lh.query("SELECT k0, k1, k58, k59 FROM formatted.wide").to_pylist()
    assert good == {"k0": 0, "k1": "t1", "k58": 58, "k59": "t59"}


def test_long_form_rows_are_put_back_in_batches_of_whole_records(
    make_project, tmp_path, monkeypatch
):
    """The long rows of a many-row wide file go back side by side a batch at a time (here
    forced small, and not a multiple of the width): every record keeps its own values."""
    monkeypatch.setattr(long_typing, "_LONG_ROWS", 100)
    width, count = 30, 400
    records = [{f"k{index}": f"r{row}c{index}" for index in range(width)} for row in range(count)]
    records[301]["k13"] = "bad\u0000"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wide.ndjson").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    lh = make_project({"wide": {"path": f"{folder}/wide.ndjson", "format": "ndjson"}})
    land(lh, "wide")
    [result] = format_pending(lh, "wide")

    assert (result.counts.rows_formatted, result.counts.rows_quarantined) == (count - 1, 1)
    [bad] = lh.query("SELECT _column, _reason, _source_line FROM quarantine.wide").to_pylist()
    assert bad == {"_column": "k13", "_reason": "k13: holds a NUL byte", "_source_line": 302}
    rows = lh.query("SELECT k0, k13, k29 FROM formatted.wide ORDER BY _source_line").to_pylist()
    expected = [
        {"k0": f"r{row}c0", "k13": f"r{row}c13", "k29": f"r{row}c29"}
        for row in range(count)
        if row != 301
    ]
    assert rows == expected
