"""Which data files may hold given values, read from the bounds of a real table's manifests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakebox import tables
from lakebox.catalog import TableRef
from lakebox.catalog.bounds import may_hold, may_hold_nulls
from lakebox.tables import commit_batch

REF = TableRef("formatted", "events")
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def files(make_project, tmp_path, monkeypatch):
    """A table of 1,000 rows in 10 data files, each a range of the sorted key."""
    monkeypatch.setattr(tables, "FILE_ROWS", 100)
    lh = make_project()
    times = [START + timedelta(hours=n) for n in range(1000)]
    rows = pa.table(
        {
            "seen_at": pa.array(times[::-1], pa.timestamp("us", tz="UTC")),
            "day": pa.array([t.date() for t in times[::-1]], pa.date32()),
            "name": [f"{'x' * 20}{n:04d}" for n in range(1000)][::-1],
            "score": [float(n) for n in range(1000)],
            "note": [None if n % 500 == 0 else "a" for n in range(1000)],
            "_batch_id": ["b1"] * 1000,
        }
    )
    path = tmp_path / "rows.parquet"
    pq.write_table(rows, path)
    commit_batch(lh, REF, path, "b1", {}, ["seen_at"])
    table = lh.catalog.load(REF)
    return table.schema(), lh.catalog.data_files(table)


def test_a_time_with_zone_falls_in_the_one_file_whose_bounds_hold_it(files):
    schema, found = files
    assert len(found) == 10
    one = may_hold(found, schema, "seen_at", [START + timedelta(hours=450)])
    assert len(one) == 1
    assert may_hold(found, schema, "seen_at", [START - timedelta(hours=1)]) == []


def test_dates_and_truncated_strings_keep_every_file_that_may_hold_them(files):
    schema, found = files
    assert 1 <= len(may_hold(found, schema, "day", [date(2026, 1, 20)])) <= 2
    # a string bound keeps 16 characters: every file starts with the same 20
    assert len(may_hold(found, schema, "name", [f"{'x' * 20}0450"])) == 10
    assert may_hold(found, schema, "name", ["y"]) == []


def test_floats_are_never_pruned_and_nulls_are_found_by_their_counts(files):
    schema, found = files
    assert may_hold(found, schema, "score", [1e9]) == found
    assert 1 <= len(may_hold_nulls(found, schema, "note")) <= 2
