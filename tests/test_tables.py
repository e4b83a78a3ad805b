"""`replace_batch`: a batch committed again replaces its rows; a first commit is a commit."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from lakebox.catalog import CURSOR_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.tables import replace_batch

REF = TableRef("formatted", "rows")


def _parquet(tmp_path, name: str, ids: list[int], batch: str):
    path = tmp_path / f"{name}.parquet"
    pq.write_table(pa.table({"id": ids, "_batch_id": [batch] * len(ids)}), path)
    return path


def test_a_first_commit_keeps_its_cursor_and_a_second_replaces_without_it(make_project, tmp_path):
    lh = make_project()
    cursor = {CURSOR_PROPERTY: '{"field": "id", "value": 2}'}

    replace_batch(lh, REF, _parquet(tmp_path, "a", [1, 2], "b1"), "b1", cursor)
    first = snapshot_properties(lh.catalog.load(REF).current_snapshot())
    replace_batch(lh, REF, _parquet(tmp_path, "b", [1, 2, 3], "b1"), "b1", cursor)
    second = snapshot_properties(lh.catalog.load(REF).current_snapshot())

    assert first[CURSOR_PROPERTY] == cursor[CURSOR_PROPERTY]
    assert CURSOR_PROPERTY not in second
    assert lh.query("SELECT count(*) AS n FROM formatted.rows").to_pylist() == [{"n": 3}]
