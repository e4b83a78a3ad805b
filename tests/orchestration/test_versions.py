"""Each table version a run publishes is recorded in `ops.table_versions` (the snapshots and
landed objects it was made from, followed down to the landed objects) and its columns'
upstream columns in `ops.column_lineage`: one commit per table per run, never a row for a
version that was not published."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
import yaml

import lakebox
from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import AUDIT_BRANCH, snapshot_properties
from lakebox.exploitation.builder import INPUTS_PROPERTY
from lakebox.orchestration.runner import reformat, run
from lakebox.orchestration.versions import COLUMN_LINEAGE, TABLE_VERSIONS
from lakebox.serving.pgwire import PgServer
from tests.access.conftest import principal
from tests.conftest import write_file

SOURCES = {
    "sales": {
        "path": "in/*.csv",
        "columns": {"amount": {"type": "double", "rename_from": ["amt"]}},
    }
}
TOTALS = "SELECT store, sum(amount) AS amount FROM formatted.sales WHERE id > 0 GROUP BY store"
DOUBLED = "SELECT store, amount * 2 AS twice FROM totals"
# The query of docs/governance.md: what produced one version, down to the landed objects.
PRODUCED = """SELECT depth, via_table, input_table, input_snapshot_id, batch_id, landing_object
FROM ops.table_versions
WHERE "table" = 'exploitation.doubled' AND snapshot_id = {snapshot_id}
ORDER BY depth, via_table, input_table"""
# The recursive walk of docs/governance.md, run where recursive SQL may run (here the engine).
RECURSIVE = """
WITH RECURSIVE made("table", snapshot_id) AS (
    SELECT ?, ?::BIGINT
    UNION
    SELECT v.input_table, v.input_snapshot_id
    FROM ops.table_versions v JOIN made USING ("table", snapshot_id)
    WHERE v.depth = 1 AND v.input_snapshot_id IS NOT NULL
)
SELECT DISTINCT v.batch_id, v.landing_object
FROM made JOIN ops.table_versions v USING ("table", snapshot_id)
WHERE v.depth = 1 AND v.batch_id IS NOT NULL
ORDER BY v.batch_id
"""


def _project(lh):
    write_file(lh.project_dir / "in", "a.csv", "id,store,amt\n1,BCN,10\n2,LYS,5\n")
    write_file(lh.project_dir / "models", "totals.sql", TOTALS)
    write_file(lh.project_dir / "models", "doubled.sql", DOUBLED)
    return lh


def _run_twice(lh):
    """Run the project, then again after a new file came."""
    first = run(lh)
    write_file(lh.project_dir / "in", "b.csv", "id,store,amt\n3,BCN,1\n")
    second = run(lh)
    assert first.ok and second.ok, (first.error, second.error)
    return lh, first, second


@pytest.fixture
def lh(make_project):
    return _project(make_project(SOURCES))


@pytest.fixture
def twice(lh):
    """A project of its own run twice, for a test that changes it."""
    return _run_twice(lh)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """The project run twice, shared by the tests that only read."""
    folder = tmp_path_factory.mktemp("versions")
    document = {"name": "versions", "engine": {"memory_limit": "1GB", "threads": 2}}
    (folder / "lakebox.yaml").write_text(yaml.safe_dump({**document, "sources": SOURCES}))
    lh = lakebox.open(folder)
    yield _run_twice(_project(lh))
    lh.close()


def _current(lh, identifier: str) -> int:
    zone, name = identifier.split(".")
    return lh.catalog.load(TableRef(zone, name)).current_snapshot().snapshot_id


def _rows(lh, sql: str, *parameters: object) -> list[dict]:
    lh.refresh()
    return lh.engine.arrow(sql, list(parameters)).to_pylist()


def _versions(lh, run_id: str) -> dict[str, int]:
    rows = _rows(lh, 'SELECT "table", snapshot_id FROM ops.table_versions WHERE run_id = ?', run_id)
    return {row["table"]: row["snapshot_id"] for row in rows}


def _inputs(lh, table: str, snapshot_id: int) -> list[tuple]:
    return [
        tuple(row.values())
        for row in _rows(
            lh,
            "SELECT depth, via_table, input_table, input_snapshot_id, batch_id, landing_object, "
            'sha256 FROM ops.table_versions WHERE "table" = ? AND snapshot_id = ? '
            "ORDER BY depth, via_table, input_table, batch_id",
            table,
            snapshot_id,
        )
    ]


def _manifest(lh, name: str) -> tuple[str, str, str]:
    [entry] = [e for e in lh.manifest.entries("sales") if e.original_path.endswith(name)]
    return entry.batch_id, entry.landed_path, entry.sha256


def test_each_run_records_the_iceberg_snapshots_it_published(ran):
    lh, first, second = ran
    tables = {"formatted.sales", "quarantine.sales", "exploitation.totals", "exploitation.doubled"}
    assert set(_versions(lh, first.run_id)) == tables
    # b.csv has no row to quarantine: the second run adds no commit to the quarantine table
    published = tables - {"quarantine.sales"}
    assert _versions(lh, second.run_id) == {table: _current(lh, table) for table in published}
    sales = lh.catalog.load(TableRef("formatted", "sales"))
    current = sales.current_snapshot()
    assert _versions(lh, first.run_id)["formatted.sales"] == current.parent_snapshot_id


def test_a_formatted_version_names_its_landed_object_and_the_version_it_appended_to(ran):
    lh, first, _ = ran
    batch, landed, sha256 = _manifest(lh, "b.csv")
    before = _versions(lh, first.run_id)["formatted.sales"]
    version = _current(lh, "formatted.sales")
    assert _inputs(lh, "formatted.sales", version) == [
        (1, "formatted.sales", "formatted.sales", before, None, None, None),
        (1, "formatted.sales", "landing.sales", None, batch, landed, sha256),
    ]
    first_batch, first_landed, first_sha = _manifest(lh, "a.csv")
    assert _inputs(lh, "formatted.sales", before) == [
        (1, "formatted.sales", "landing.sales", None, first_batch, first_landed, first_sha)
    ]
    tagged = snapshot_properties(lh.catalog.load(TableRef("formatted", "sales")).current_snapshot())
    assert json.loads(tagged["lakebox.batch-ids"]) == [batch]


def test_a_model_version_names_the_snapshots_it_read_down_to_the_landed_objects(ran):
    lh, first, _ = ran
    sales, totals = _current(lh, "formatted.sales"), _current(lh, "exploitation.totals")
    table = lh.catalog.load(TableRef("exploitation", "totals"))
    read = json.loads(snapshot_properties(table.current_snapshot())[INPUTS_PROPERTY])
    assert read == {"formatted.sales": sales}  # what the builder kept in the commit
    before = _versions(lh, first.run_id)["formatted.sales"]
    batch, landed, sha256 = _manifest(lh, "b.csv")
    assert _inputs(lh, "exploitation.doubled", _current(lh, "exploitation.doubled")) == [
        (1, "exploitation.doubled", "exploitation.totals", totals, None, None, None),
        (2, "exploitation.totals", "formatted.sales", sales, None, None, None),
        (3, "formatted.sales", "formatted.sales", before, None, None, None),
        (3, "formatted.sales", "landing.sales", None, batch, landed, sha256),
    ]


def test_the_recursive_walk_of_the_docs_reaches_every_landed_object(ran):
    lh, _, _ = ran
    found = _rows(lh, RECURSIVE, "exploitation.doubled", _current(lh, "exploitation.doubled"))
    expected = [_manifest(lh, name)[:2] for name in ("a.csv", "b.csv")]
    assert [(row["batch_id"], row["landing_object"]) for row in found] == sorted(expected)


def test_column_lineage_holds_cleaning_rules_and_model_edges_with_snapshots(ran):
    lh, _, second = ran
    rows = _rows(
        lh,
        'SELECT "table", "column", upstream_table, upstream_column, upstream_snapshot_id, how '
        'FROM ops.column_lineage WHERE run_id = ? ORDER BY "table", "column", upstream_column',
        second.run_id,
    )
    edges = {(r["table"], r["column"], r["upstream_table"], r["upstream_column"]): r for r in rows}
    amount = edges["formatted.sales", "amount", "landing.sales", "amt"]
    assert amount["how"] == "cast to DOUBLE; renamed from amt"
    assert edges["formatted.sales", "store", "landing.sales", "store"]["how"] == "type inferred"
    sales, totals = _current(lh, "formatted.sales"), _current(lh, "exploitation.totals")
    modelled = {
        key: (row["how"], row["upstream_snapshot_id"])
        for key, row in edges.items()
        if key[0].startswith("exploitation.")
    }
    assert modelled == {
        ("exploitation.doubled", "store", "exploitation.totals", "store"): ("passed", totals),
        ("exploitation.doubled", "twice", "exploitation.totals", "amount"): ("transformed", totals),
        ("exploitation.totals", "", "formatted.sales", "id"): ("filtered", sales),
        ("exploitation.totals", "", "formatted.sales", "store"): ("grouped", sales),
        ("exploitation.totals", "amount", "formatted.sales", "amount"): ("aggregated", sales),
        ("exploitation.totals", "store", "formatted.sales", "store"): ("passed", sales),
    }


def test_one_commit_per_ops_table_per_run_and_none_when_nothing_was_published(twice):
    lh, first, second = twice
    third = run(lh)  # nothing new: every model is fresh
    assert [model.status for model in third.models] == ["fresh", "fresh"]
    for ref in (TABLE_VERSIONS, COLUMN_LINEAGE):
        snapshots = lh.catalog.load(ref).snapshots()
        runs = [snapshot_properties(snapshot)["lakebox.run"] for snapshot in snapshots]
        assert runs == [first.run_id, second.run_id]


def test_a_reformat_records_the_version_it_replaced(twice):
    lh, _, _ = twice
    before = _current(lh, "formatted.sales")
    batch, landed, sha256 = _manifest(lh, "a.csv")
    report = reformat(lh, batches=[batch])
    version = _versions(lh, report.run_id)["formatted.sales"]
    assert version == _current(lh, "formatted.sales") != before
    assert _inputs(lh, "formatted.sales", version) == [
        (1, "formatted.sales", "formatted.sales", before, None, None, None),
        (1, "formatted.sales", "landing.sales", None, batch, landed, sha256),
    ]


def test_a_blocked_or_failed_model_records_no_version(lh):
    checked = "-- checks:\n--   - range: {column: amount, min: 0}\n" + TOTALS
    write_file(lh.project_dir / "models", "totals.sql", checked)
    write_file(lh.project_dir / "models", "broken.sql", "SELECT nope FROM formatted.sales")
    first = run(lh)
    published = _current(lh, "exploitation.totals")
    write_file(lh.project_dir / "in", "b.csv", "id,store,amt\n3,LYS,-50\n")
    second = run(lh)
    statuses = {model.model: model.status for model in second.models}
    assert statuses == {"broken": "failed", "totals": "failed", "doubled": "skipped"}
    table = lh.catalog.load(TableRef("exploitation", "totals"))
    staged = table.metadata.refs[AUDIT_BRANCH].snapshot_id
    assert table.current_snapshot().snapshot_id == published != staged
    assert set(_versions(lh, first.run_id)) == {
        "formatted.sales", "quarantine.sales", "exploitation.totals", "exploitation.doubled",
    }  # fmt: skip
    # b.csv has no row to quarantine: no commit to the quarantine table
    assert set(_versions(lh, second.run_id)) == {"formatted.sales"}
    never = _rows(
        lh,
        "SELECT count(*) AS n FROM ops.table_versions WHERE snapshot_id = ? "
        "OR \"table\" = 'exploitation.broken'",
        staged,
    )
    assert never == [{"n": 0}]
    assert _rows(
        lh, "SELECT count(*) AS n FROM ops.column_lineage WHERE snapshot_id = ?", staged
    ) == [{"n": 0}]


def test_the_documented_query_answers_through_lakebox_query_and_pg(ran):
    lh, _, _ = ran
    sql = PRODUCED.format(snapshot_id=_current(lh, "exploitation.doubled"))
    shown = subprocess.run(
        [sys.executable, "-m", "lakebox.cli", "query", sql, "--format", "json"],
        cwd=lh.project_dir,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = [tuple(row.values()) for row in json.loads(shown.stdout)]
    with PgServer(lh, port=0) as server:
        dsn = f"host=127.0.0.1 port={server.port} user=tester dbname=lakebox"
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute(sql).fetchall() == rows
    batch, landed, _ = _manifest(lh, "b.csv")
    assert [row[0] for row in rows] == [1, 2, 3, 3]
    assert rows[-1][2:] == ("landing.sales", None, batch, landed)


@pytest.mark.parametrize("table", ["table_versions", "column_lineage"])
def test_the_ops_tables_are_read_with_the_ops_zone_as_the_run_history_is(table):
    assert principal("engineer").may_read_table("ops", table)
    assert principal("admin").may_read_table("ops", table)
    assert not principal("analyst").may_read_table("ops", table)
    assert principal("analyst", "roles: {analyst: {extends: analyst, read: [ops]}}").may_read_table(
        "ops", table
    )
