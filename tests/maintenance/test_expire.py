"""Snapshot expiry: past the retention only, never the current snapshot, the newest few, a
tag or branch head, a snapshot another table was made from, or a batch's exactly-once."""

from __future__ import annotations

import json
import time

import pyarrow as pa

from lakebox.catalog import BATCH_PROPERTY, CURSOR_PROPERTY
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.catalog.maintenance import INPUTS_PROPERTY
from lakebox.maintenance.run import maintain
from lakebox.tables import commit_rows
from tests.maintenance.conftest import HOUR, REF, append, config, rows


def _ids(lh) -> list[int]:
    return [snapshot.snapshot_id for snapshot in lh.catalog.load(REF).snapshots()]


def test_snapshots_inside_the_retention_stay(appended):
    lh = appended
    before = _ids(lh)

    [result] = maintain(lh, config(min_input_files=100))  # retention 1h: all are younger

    assert result.expired == 0 and _ids(lh) == before


def test_past_the_retention_only_the_current_and_newest_stay(appended):
    lh = appended
    before = _ids(lh)
    current = lh.catalog.load(REF).current_snapshot().snapshot_id
    contents = rows(lh)

    [result] = maintain(lh, config(min_input_files=100), now=time.time() + 2 * HOUR)

    assert result.expired == 10
    assert _ids(lh) == before[-2:] and current in _ids(lh)
    assert rows(lh) == contents


def test_expiry_keeps_tags_and_the_snapshots_other_tables_were_made_from(appended):
    lh = appended
    ids = _ids(lh)
    table = lh.catalog.load(REF)
    table.manage_snapshots().create_tag(ids[1], "audit-me").commit()
    inputs = {INPUTS_PROPERTY: json.dumps({REF.identifier: ids[3]})}
    commit_rows(lh, _model(), pa.table({"n": [1]}), "m1", inputs)

    maintain(lh, config(min_input_files=100, tables=["formatted.*"]), now=time.time() + 2 * HOUR)

    assert set(_ids(lh)) == {ids[1], ids[3], ids[-2], ids[-1]}


def test_expired_batches_are_still_committed_exactly_once(appended):
    lh = appended
    maintain(lh, config(min_input_files=100), now=time.time() + 2 * HOUR)
    table = lh.catalog.load(REF)
    assert "b0000" not in json.dumps([snapshot_properties(s) for s in table.snapshots()])

    append(lh, 0)  # committing an expired batch again is refused, as before expiry

    assert len(rows(lh)) == 12 * 3
    assert {f"b{n:04d}" for n in range(12)} <= lh.catalog.batches(lh.catalog.load(REF))


def test_the_newest_snapshot_with_a_cursor_stays(make_project):
    lh = make_project()
    cursor = {CURSOR_PROPERTY: '{"field": "id", "value": 2}'}
    commit_rows(lh, REF, pa.table({"id": [1], "_batch_id": ["c0"]}), "c0", cursor)
    for number in range(1, 5):
        append(lh, number)
    first = _ids(lh)[0]

    maintain(lh, config(min_input_files=100), now=time.time() + 2 * HOUR)

    kept = lh.catalog.load(REF).snapshot_by_id(first)
    assert kept is not None and BATCH_PROPERTY in snapshot_properties(kept)


def _model():
    from lakebox.catalog import TableRef

    return TableRef("exploitation", "made_from_events")
