"""Table writes: `replace_batch` (a batch committed again replaces its rows) and merges by
file (a keyed batch rewrites only the data files holding its keys), checked against the
whole-table rewrite lakebox did before, computed here with DuckDB from the same batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakebox import tables
from lakebox.catalog import BATCH_PROPERTY, CURSOR_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.errors import CatalogError
from lakebox.tables import commit_batch, remove_batch, replace_batch

REF = TableRef("formatted", "rows")
PREFIX = "customer-0000000000000000-"  # longer than the 16 characters a string bound keeps


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


# --- merges by file equal the whole-table rewrite ----------------------------------------

KEYS = {
    "number": ["id"],
    "long string": ["code"],
    "two columns": ["id", "code"],
    "time with zone and date": ["seen_at", "day"],
}
START = datetime(2026, 1, 1, tzinfo=UTC)


def _rows(numbers: list[int | None], batch: str, value: str) -> pa.Table:
    codes = [None if n is None else f"{PREFIX}{n:06d}" for n in numbers]
    times = [None if n is None else START + timedelta(minutes=7 * n) for n in numbers]
    return pa.table(
        {
            "id": pa.array(numbers, pa.int64()),
            "code": pa.array(codes, pa.string()),
            "seen_at": pa.array(times, pa.timestamp("us", tz="UTC")),
            "day": pa.array([None if t is None else t.date() for t in times], pa.date32()),
            "filename": [f"{value}-{n}" for n in numbers],  # a column DuckDB could add itself
            "_batch_id": [batch] * len(numbers),
        }
    )


class Reference:
    """Today's rule applied to the whole table at every step, in DuckDB."""

    def __init__(self, key: list[str]) -> None:
        self.db = duckdb.connect()
        self.using = ", ".join(key)
        self.db.execute(
            "CREATE TABLE t (id BIGINT, code VARCHAR, seen_at TIMESTAMPTZ, day DATE, "
            "filename VARCHAR, _batch_id VARCHAR)"
        )

    def commit(self, new: pa.Table) -> None:
        self._set(
            f"SELECT * FROM t ANTI JOIN new USING ({self.using}) UNION ALL BY NAME "
            "SELECT * FROM new",
            new,
        )

    def replace(self, new: pa.Table, batch: str) -> None:
        self._set(
            f"SELECT * FROM (SELECT * FROM t WHERE _batch_id <> '{batch}' UNION ALL BY NAME "
            f"SELECT * FROM new) QUALIFY row_number() OVER (PARTITION BY {self.using} "
            "ORDER BY _batch_id DESC) = 1",
            new,
        )

    def remove(self, batch: str) -> None:
        self._set(f"SELECT * FROM t WHERE _batch_id <> '{batch}'", None)

    def rows(self) -> list[tuple]:
        return self.db.execute("SELECT * FROM t ORDER BY ALL").fetchall()

    def _set(self, sql: str, new: pa.Table | None) -> None:
        if new is not None:
            self.db.register("new", new)
        self.db.execute(f"CREATE OR REPLACE TABLE t AS {sql}")


def _steps() -> list[tuple[str, str, list[int | None]]]:
    """(what, batch, keys): new keys, changed keys in one file and spread over every file,
    a batch committed again with other keys, a batch removed, null keys."""
    return [
        ("commit", "b01", list(range(0, 1000, 2))),
        ("commit", "b02", list(range(1000, 1100))),  # only new keys: an append
        ("commit", "b03", [*range(100, 140, 2), *range(1100, 1130)]),  # one range + new
        ("commit", "b04", [4, 250, 502, 778, 996, 1050, 1200]),  # spread over the files
        ("commit", "b05", [None, 12, 13]),  # a null key and a key between two existing ones
        ("commit", "b06", [None]),  # a file of its own, far from the keys replaced next
        ("commit", "b06a", [14, 250]),
        ("replace", "b04", [4, 250, 503, 1300, None]),  # 250 stays b06a's (a later batch)
        ("remove", "b03", []),
        ("commit", "b07", list(range(900, 1010))),
        ("replace", "b09", [1, 2, 3]),  # not there yet: a first commit
    ]


@pytest.mark.parametrize("name", list(KEYS))
def test_merges_by_file_equal_a_whole_table_rewrite(make_project, tmp_path, monkeypatch, name):
    monkeypatch.setattr(tables, "FILE_ROWS", 64)
    key = KEYS[name]
    lh = make_project()
    reference = Reference(key)
    for index, (what, batch, numbers) in enumerate(_steps()):
        new = _rows(numbers, batch, f"v{index}")
        path = tmp_path / f"{index}.parquet"
        pq.write_table(new, path)
        if what == "commit":
            commit_batch(lh, REF, path, batch, {}, key)
            reference.commit(new)
        elif what == "replace":
            replace_batch(lh, REF, path, batch, {}, key)
            reference.replace(new, batch)
        else:
            remove_batch(lh, REF, batch, {})
            reference.remove(batch)
        table = lh.query(
            "SELECT id, code, seen_at, day, filename, _batch_id FROM formatted.rows ORDER BY ALL"
        )
        assert [tuple(row.values()) for row in table.to_pylist()] == reference.rows(), (what, batch)


def _summary(lh) -> dict[str, str]:
    return snapshot_properties(lh.catalog.load(REF).current_snapshot())


def test_a_batch_of_changed_keys_in_one_range_rewrites_only_the_files_holding_them(
    make_project, tmp_path, monkeypatch
):
    monkeypatch.setattr(tables, "FILE_ROWS", 100)
    lh = make_project()
    numbers = list(range(1000))
    path = tmp_path / "first.parquet"
    pq.write_table(_rows(numbers[::-1], "b1", "first"), path)  # written sorted by key
    commit_batch(lh, REF, path, "b1", {}, ["code"])
    assert len(lh.catalog.data_files(lh.catalog.load(REF))) == 10

    path = tmp_path / "second.parquet"
    pq.write_table(_rows([*range(310, 330), *range(2000, 2010)], "b2", "second"), path)
    commit_batch(lh, REF, path, "b2", {}, ["code"])

    summary = lh.catalog.load(REF).current_snapshot().summary
    assert summary["deleted-data-files"] == "1"
    assert summary["deleted-records"] == "100"
    assert summary["total-records"] == "1010"
    assert _summary(lh)[BATCH_PROPERTY] == '["b2"]'


def test_a_removed_batch_rewrites_only_the_files_holding_its_rows(
    make_project, tmp_path, monkeypatch
):
    monkeypatch.setattr(tables, "FILE_ROWS", 100)
    lh = make_project()
    for batch, numbers in (("b1", range(0, 500)), ("b2", range(500, 600)), ("b3", range(600, 650))):
        path = tmp_path / f"{batch}.parquet"
        pq.write_table(_rows(list(numbers), batch, batch), path)
        commit_batch(lh, REF, path, batch, {}, ["id"])

    remove_batch(lh, REF, "b2", {})

    summary = lh.catalog.load(REF).current_snapshot().summary
    assert summary["deleted-data-files"] == "1"
    assert summary["total-records"] == "550"
    remove_batch(lh, REF, "b2", {})  # nothing of it left: no commit
    assert lh.catalog.load(REF).current_snapshot().summary["total-records"] == "550"
    assert len(list(lh.catalog.load(REF).snapshots())) == 4


def test_a_keyed_merge_of_a_table_with_a_column_named_like_lakebox_file_column(
    make_project, tmp_path
):
    """The column naming each row's data file is lakebox's own; a table's column of any name
    (a CSV header can be anything) does not stop a merge."""
    lh = make_project()
    for batch, keys, marks in (("b1", [1, 2], ["x", "y"]), ("b2", [2, 3], ["Y", "z"])):
        path = tmp_path / f"{batch}.parquet"
        table = {"k": keys, tables.FILE_COLUMN: marks, "_batch_id": [batch] * 2}
        pq.write_table(pa.table(table), path)
        commit_batch(lh, REF, path, batch, {}, ["k"])
    rows = lh.query(f"SELECT k, {tables.FILE_COLUMN} AS mark FROM formatted.rows ORDER BY k")
    assert rows.to_pylist() == [
        {"k": 1, "mark": "x"},
        {"k": 2, "mark": "Y"},
        {"k": 3, "mark": "z"},
    ]


def test_several_batches_commit_as_one_snapshot_and_none_of_them_twice(make_project, tmp_path):
    lh = make_project()
    rows = pa.table({"id": [1, 2, 3], "_batch_id": ["b1", "b2", "b2"]})
    pq.write_table(rows, tmp_path / "both.parquet")

    tables.commit_batches(lh, REF, tmp_path / "both.parquet", ["b1", "b2"], {})

    snapshot = lh.catalog.load(REF).current_snapshot()
    assert snapshot_properties(snapshot)[BATCH_PROPERTY] == '["b1", "b2"]'
    with pytest.raises(CatalogError, match="already holds batch b2"):
        tables.commit_batches(lh, REF, _parquet(tmp_path, "again", [4], "b2"), ["b3", "b2"], {})
    assert lh.query("SELECT count(*) AS n FROM formatted.rows").to_pylist() == [{"n": 3}]
