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
