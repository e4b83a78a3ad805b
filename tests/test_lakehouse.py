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
