"""Line numbers stay right when DuckDB reads a large CSV in parallel.

DuckDB 1.5.5 does not keep file order through a parallel COPY of a complex projection: it was
seen permuting chunks of a 10M-row file, so a record's number must never depend on output order.
At this test's size DuckDB happens to keep order, so this guards the numbering at a scale where
both threads parse; benchmarks/ingest.py checks every line of its 10M-row file too."""

from __future__ import annotations

import duckdb
import pytest

from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land

ROWS = 1_500_000  # several 32 MiB read buffers, so both threads parse at once


@pytest.mark.slow
def test_every_record_keeps_its_line_in_a_large_file(make_project, tmp_path):
    path = tmp_path / "in" / "big.csv"
    path.parent.mkdir()
    duckdb.execute(
        f"COPY (SELECT i AS id, 'text number ' || i AS note, i * 0.5 AS amount, "
        f"CASE WHEN i % 100000 = 7 THEN 'oops' ELSE (i % 13)::VARCHAR END AS n "
        f"FROM range(1, {ROWS + 1}) t(i)) TO '{path}' (HEADER true)"
    )
    lh = make_project({"big": {"path": str(path), "columns": {"n": {"type": "BIGINT"}}}})
    land(lh, "big")

    [result] = format_pending(lh, "big")

    assert result.counts.rows_read == ROWS
    wrong = lh.query("SELECT count(*) AS n FROM formatted.big WHERE _source_line <> id + 1")
    assert wrong.to_pylist() == [{"n": 0}]
    refused = lh.query("SELECT _source_line, _raw FROM quarantine.big ORDER BY 1").to_pylist()
    assert [row["_source_line"] for row in refused] == [i + 1 for i in range(7, ROWS, 100000)]
    assert all('"n":"oops"' in row["_raw"] for row in refused)
