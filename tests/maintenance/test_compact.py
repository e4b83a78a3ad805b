"""Compaction: many small files become few in one snapshot, the rows and what the table
says about itself (batch ids, properties, sort order) unchanged."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.transforms import IdentityTransform

from lakebox.catalog import BATCH_PROPERTY
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.catalog.maintenance import MAINTENANCE_PROPERTY
from lakebox.maintenance.run import maintain
from lakebox.tables import commit_batch
from tests.maintenance.conftest import REF, append, config, rows


def _as_of(lh, snapshot_id: int) -> list[dict]:
    return lh.query(
        "SELECT * FROM formatted.events ORDER BY ALL", as_of=str(snapshot_id)
    ).to_pylist()


def _files(lh) -> list[str]:
    return [task.file.file_path for task in lh.catalog.load(REF).scan().plan_files()]


def test_the_rows_are_the_same_in_fewer_files_after_one_snapshot(appended):
    lh = appended
    before, snapshots = rows(lh), len(lh.catalog.load(REF).snapshots())

    [result] = maintain(lh, config(retention="1000d"), ["formatted.events"])

    table = lh.catalog.load(REF)
    assert result.error is None and result.compacted == 12
    assert rows(lh) == before
    assert len(_files(lh)) == 1 == result.files_after
    # one snapshot replaced the small files, one more left out the manifest of removed ones
    made = [snapshot_properties(s)[MAINTENANCE_PROPERTY] for s in table.snapshots()[snapshots:]]
    assert made == ["compact", "rewrite-manifests"]
    assert table.snapshots()[snapshots].summary.operation.value == "overwrite"
    for snapshot in table.snapshots()[snapshots:]:  # each of them shows every row
        assert _as_of(lh, snapshot.snapshot_id) == before
    assert result.manifests_after == 1


def test_the_current_snapshot_still_says_what_it_said(appended):
    lh = appended
    said = snapshot_properties(lh.catalog.load(REF).current_snapshot())
    properties = dict(lh.catalog.load(REF).properties)

    maintain(lh, config(retention="1000d"))

    table = lh.catalog.load(REF)
    now = snapshot_properties(table.current_snapshot())
    assert now[MAINTENANCE_PROPERTY] == "rewrite-manifests"  # after "compact"
    assert now[BATCH_PROPERTY] == said[BATCH_PROPERTY] == json.dumps(["b0011"])
    assert now["lakebox.note"] == "11"
    assert {k: v for k, v in table.properties.items() if k in properties} == properties
    assert len(lh.catalog.batches(table)) == 12


def test_files_from_before_a_column_was_added_or_widened_keep_their_values(make_project):
    lh = make_project()
    for number in range(4):
        append(lh, number)
    for number in range(4, 8):  # later batches bring a new column
        append(lh, number, score=pa.array([1.5, None, 2.5]))
    before = rows(lh)

    maintain(lh, config(retention="1000d"))

    assert rows(lh) == before
    assert sum(row["score"] is None for row in before) == 4 * 3 + 4
    assert len(_files(lh)) == 1


def test_a_sorted_table_is_compacted_in_its_sort_order(make_project):
    lh = make_project()
    for number in reversed(range(6)):
        append(lh, number)
    table = lh.catalog.load(REF)
    with table.update_sort_order() as update:
        update.desc("id", IdentityTransform())
    before = rows(lh)

    maintain(lh, config(retention="1000d"))

    assert rows(lh) == before
    [path] = _files(lh)
    written = lh.query(f"SELECT id FROM read_parquet('{path}')").column("id").to_pylist()
    assert written == sorted(written, reverse=True)


def test_too_few_small_files_are_left_alone(make_project):
    lh = make_project()
    for number in range(2):
        append(lh, number)
    snapshots = len(lh.catalog.load(REF).snapshots())

    [result] = maintain(lh, config(retention="1000d"))

    assert result.compacted == 0 and len(_files(lh)) == 2
    assert len(lh.catalog.load(REF).snapshots()) == snapshots


def test_many_manifests_are_rewritten_into_few_without_a_data_change(appended):
    lh = appended
    before = rows(lh)
    # files big enough not to be compacted: only the manifests are rewritten
    settings = config(retention="1000d", target_file_size="2KiB", small_file_ratio=0.01)

    [result] = maintain(lh, settings.model_copy(update={"max_manifests": 4}))

    assert result.compacted == 0
    assert result.manifests_before == 12 and result.manifests_after == 1
    assert rows(lh) == before and len(_files(lh)) == 12


def test_a_keyed_table_declares_its_key_as_sort_order_and_is_compacted_in_key_order(
    make_project, tmp_path
):
    lh = make_project()
    for number in range(6):  # new keys only, in an order that is not the key's
        ids = [(number * 5) % 6 * 10 + i for i in range(3)]
        path = tmp_path / f"b{number}.parquet"
        batch = f"b{number:04d}"
        pq.write_table(pa.table({"id": ids, "_batch_id": [batch] * 3}), path)
        commit_batch(lh, REF, path, batch, {}, ["id"])
    fields = lh.catalog.load(REF).sort_order().fields
    assert [field.source_id for field in fields] == [
        lh.catalog.load(REF).schema().find_field("id").field_id
    ]
    before = rows(lh)

    maintain(lh, config(retention="1000d"))

    assert rows(lh) == before
    [path] = _files(lh)
    written = lh.query(f"SELECT id FROM read_parquet('{path}')").column("id").to_pylist()
    assert written == sorted(written)
