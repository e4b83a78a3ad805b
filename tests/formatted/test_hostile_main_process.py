"""Inputs parsed in the lakebox process itself (CSV, JSON, Parquet by DuckDB; dialect sniffing
in Python): none may hang it or take its memory; each fails or is quarantined alone."""

from __future__ import annotations

import pytest

from lakebox.catalog.manifest import Status
from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land
from tests.conftest import write_file


def _format_one(make_project, tmp_path, name: str, data: bytes, **source):
    folder = tmp_path / "in"
    write_file(folder, name, data)
    lh = make_project({"feed": {"path": str(folder), **source}})
    land(lh, "feed")
    [result] = format_pending(lh, "feed")
    return lh, result


@pytest.mark.timeout(120)
def test_quotes_that_make_the_dialect_sniffer_backtrack_are_read_in_bounded_time(
    make_project, tmp_path
):
    # csv.Sniffer's quote regex backtracks over the whole sample from every quote
    # (quadratic): a 300 KB line of `,"a` took it over an hour
    data = b"a,b\n1,x\n" + b',"a' * 100_000 + b"\n3,z\n"
    lh, result = _format_one(make_project, tmp_path, "sniff.csv", data)

    assert result.status == Status.FORMATTED
    assert (result.counts.rows_read, result.counts.rows_formatted) == (3, 2)
    assert result.counts.rows_quarantined == 1
    rows = lh.query("SELECT a, b FROM formatted.feed ORDER BY a").to_pylist()
    assert rows == [{"a": 1, "b": "x"}, {"a": 3, "b": "z"}]


def _wide_parquet(path, width: int) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({f"c{i}": pa.array([i], pa.int64()) for i in range(width)}), path)
    return path.read_bytes()


# 100,000 keys or columns took DuckDB past 3 GB (NDJSON) or 100 s (Parquet, CSV) in the
# lakebox process; a smaller cap shows the same refusal in a test's time
@pytest.mark.parametrize("kind", ["ndjson", "json", "csv", "parquet"])
def test_a_file_wider_than_the_column_cap_fails_alone_before_parsing(make_project, tmp_path, kind):
    width = 3_000
    keys = [f"k{i}" for i in range(width)]
    if kind == "parquet":
        data = _wide_parquet(tmp_path / "wide.parquet", width)
    elif kind == "csv":
        data = (",".join(keys) + "\n" + ",".join(map(str, range(width))) + "\n").encode()
    else:
        line = "{" + ", ".join(f'"{key}": 1' for key in keys) + "}"
        data = (f'{{"a": 1}}\n{line}\n' if kind == "ndjson" else f"[{line}]").encode()
    _, result = _format_one(make_project, tmp_path, f"wide.{kind}", data, limits={"columns": 2_000})

    assert result.status == Status.FAILED
    assert f"wide.{kind}: " in result.error
    assert f"{width + (kind == 'ndjson'):,} columns, past the cap of 2,000" in result.error
    assert "limits.columns" in result.error


def test_the_column_cap_lets_a_file_as_wide_as_it_through(make_project, tmp_path):
    data = _wide_parquet(tmp_path / "w.parquet", 50)
    _, result = _format_one(make_project, tmp_path, "w.parquet", data, limits={"columns": 50})

    assert result.status == Status.FORMATTED
    assert result.counts.rows_formatted == 1
