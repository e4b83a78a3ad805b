"""The Lakehouse: zones as schemas, queries, time travel with as_of."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from lakebox.catalog import TableRef
from lakebox.errors import QueryError
from lakebox.orchestration.runner import run
from tests.conftest import write_file


@pytest.fixture
def two_versions(make_project, tmp_path):
    write_file(tmp_path / "in", "1.csv", "id,amount\n1,10\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    run(lh)
    first = lh.catalog.load(TableRef("formatted", "sales")).current_snapshot().snapshot_id
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    write_file(tmp_path / "in", "2.csv", "id,amount\n2,20\n")
    run(lh)
    return lh, first, between


def test_as_of_a_snapshot_id_reads_the_old_version(two_versions):
    lh, first, _ = two_versions
    total = "SELECT sum(amount) AS total FROM formatted.sales"

    assert lh.query(total).to_pylist() == [{"total": 30}]
    assert lh.query(total, as_of=str(first)).to_pylist() == [{"total": 10}]
    assert lh.query(total).to_pylist() == [{"total": 30}]


def test_as_of_a_time_reads_every_table_as_it_was(two_versions):
    lh, _, between = two_versions

    result = lh.query("SELECT count(*) AS n FROM formatted.sales", as_of=between.isoformat())

    assert result.to_pylist() == [{"n": 1}]


def test_as_of_rejects_what_is_neither(two_versions):
    lh, _, _ = two_versions
    with pytest.raises(QueryError, match="neither a snapshot id nor an ISO timestamp"):
        lh.query("SELECT 1", as_of="yesterday")
    with pytest.raises(QueryError, match="no table has a snapshot with id 42"):
        lh.query("SELECT 1", as_of="42")


def test_zones_are_schemas(two_versions):
    lh, _, _ = two_versions
    schemas = (
        lh.query("SELECT DISTINCT table_schema AS s FROM information_schema.tables ORDER BY s")
        .column("s")
        .to_pylist()
    )
    assert {"landing", "formatted", "quarantine"} <= set(schemas)


def test_as_of_before_the_first_snapshot_says_so(two_versions):
    lh, _, _ = two_versions
    table = lh.catalog.load(TableRef("formatted", "sales"))
    first = datetime.fromtimestamp(table.snapshots()[0].timestamp_ms / 1000, UTC)

    with pytest.raises(QueryError) as raised:
        lh.query("SELECT count(*) FROM formatted.sales", as_of="2000-11-23T10:00:00")

    message = str(raised.value)
    assert "formatted.sales has no snapshot at or before 2000-11-23T10:00:00" in message
    assert f"its first snapshot is at {first.isoformat()}" in message
    # a query not reading the table is answered as usual
    assert lh.query("SELECT 1 AS one", as_of="2000-11-23T10:00:00").to_pylist() == [{"one": 1}]


@pytest.fixture
def merged(make_project, tmp_path):
    """A keyed source after two files, the second replacing a key of the first (a merge)."""
    write_file(tmp_path / "in", "1.csv", "id,amount\n1,10\n2,20\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in"), "key": ["id"]}})
    run(lh)
    time.sleep(0.01)
    write_file(tmp_path / "in", "2.csv", "id,amount\n2,25\n3,30\n")
    run(lh)
    return lh


def test_a_keyed_merge_is_one_snapshot_and_every_state_is_complete(merged):
    lh = merged
    table = lh.catalog.load(TableRef("formatted", "sales"))
    snapshots = table.snapshots()
    total = "SELECT count(*) AS n, sum(amount) AS total FROM formatted.sales"

    assert len(snapshots) == 2
    shown = [lh.query(total, as_of=str(s.snapshot_id)).to_pylist()[0] for s in snapshots]
    assert shown == [{"n": 2, "total": 30}, {"n": 3, "total": 65}]
    for snapshot in snapshots:
        moment = datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC).isoformat()
        assert lh.query(total, as_of=moment).to_pylist()[0]["n"] in (2, 3)


def test_a_merge_committed_in_two_snapshots_is_never_shown_half_done(merged):
    """An older lakebox committed a keyed merge as a delete snapshot then an append one."""
    import json

    from pyiceberg.expressions import AlwaysTrue

    lh = merged
    table = lh.catalog.load(TableRef("formatted", "sales"))
    files = [task.file.file_path for task in table.scan().plan_files()]
    tagged = {"lakebox.batch-ids": json.dumps(["old-style-merge"])}
    with table.transaction() as transaction:
        transaction.delete(AlwaysTrue(), snapshot_properties=tagged)
        transaction.add_files(files, snapshot_properties=tagged, check_duplicate_files=False)
    table = table.refresh()
    emptied, refilled = table.snapshots()[-2:]
    total = "SELECT count(*) AS n FROM formatted.sales"

    assert lh.query(total, as_of=str(emptied.snapshot_id)).to_pylist() == [{"n": 3}]
    assert lh.query(total, as_of=str(refilled.snapshot_id)).to_pylist() == [{"n": 3}]
    for snapshot in table.snapshots():
        moment = datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC).isoformat()
        assert lh.query(total, as_of=moment).to_pylist()[0]["n"] in (2, 3)
