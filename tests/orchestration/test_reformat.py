"""`reformat`: landed batches formatted again after a config change, their rows replaced."""

from __future__ import annotations

import pytest

from lakebox.catalog import TableRef
from lakebox.catalog.manifest import Status
from lakebox.errors import FormatError
from lakebox.orchestration.runner import reformat, run
from tests.conftest import write_file

TYPED = {"amount": {"type": "DOUBLE"}}


def _two_batches(make_project, tmp_path, **source):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,amount\n1,10\n2,n.d.\n3,30\n")
    lh = make_project({"sales": {"path": str(folder), "columns": TYPED, **source}})
    run(lh)
    write_file(folder, "2.csv", "id,amount\n4,n.d.\n5,50\n")
    run(lh)
    return lh, folder, [entry.batch_id for entry in lh.manifest.entries("sales")]


def _per_batch(lh, zone: str) -> dict[str, int]:
    rows = lh.query(f"SELECT _batch_id, count(*) AS n FROM {zone}.sales GROUP BY ALL")
    return {row["_batch_id"]: row["n"] for row in rows.to_pylist()}


def _snapshots(lh, zone: str) -> int:
    return len(lh.catalog.load(TableRef(zone, "sales")).snapshots())


def test_reformat_replaces_a_batch_rows_after_a_config_change(make_project, tmp_path):
    lh, folder, (first, second) = _two_batches(make_project, tmp_path)
    assert _per_batch(lh, "quarantine") == {first: 1, second: 1}
    before = {zone: _snapshots(lh, zone) for zone in ("formatted", "quarantine")}
    fixed = make_project(
        {"sales": {"path": str(folder), "columns": TYPED, "null_tokens": ["", "n.d."]}}
    )

    report = reformat(fixed, batches=[first])

    [result] = report.formatting
    assert (result.batch_id, result.status) == (first, "formatted")
    assert _per_batch(fixed, "formatted") == {first: 3, second: 1}
    assert _per_batch(fixed, "quarantine") == {second: 1}
    entries = {entry.batch_id: entry for entry in fixed.manifest.entries("sales")}
    assert (entries[first].rows_read, entries[first].rows_formatted) == (3, 3)
    assert (entries[first].rows_quarantined, entries[first].attempts) == (0, 2)
    for entry in entries.values():
        assert entry.rows_read == (
            entry.rows_formatted + entry.rows_quarantined + entry.rows_duplicate
        )
    after = {zone: _snapshots(fixed, zone) for zone in ("formatted", "quarantine")}
    assert after == {zone: count + 1 for zone, count in before.items()}  # one commit each
    assert report.ok


def test_reformat_twice_is_the_same(make_project, tmp_path):
    lh, _, _ = _two_batches(make_project, tmp_path)
    total = (
        "SELECT (SELECT count(*) FROM formatted.sales) + "
        "(SELECT count(*) FROM quarantine.sales) AS n"
    )

    reformat(lh, sources=["sales"])
    reformat(lh, sources=["sales"])

    assert lh.query(total).to_pylist() == [{"n": 5}]


def test_reformat_of_a_keyed_source_keeps_what_later_batches_replaced(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,amount\n1,10\n2,20\n")
    lh = make_project({"sales": {"path": str(folder), "columns": TYPED, "key": ["id"]}})
    run(lh)
    write_file(folder, "2.csv", "id,amount\n2,25\n")
    run(lh)
    first = lh.manifest.entries("sales")[0].batch_id

    reformat(lh, batches=[first])

    rows = lh.query("SELECT id, amount FROM formatted.sales ORDER BY id").to_pylist()
    assert rows == [{"id": 1, "amount": 10.0}, {"id": 2, "amount": 25.0}]


def test_reformat_refuses_a_batch_it_does_not_know_before_doing_anything(make_project, tmp_path):
    lh, _, _ = _two_batches(make_project, tmp_path)

    with pytest.raises(FormatError, match="no landed batch 'nope' of source sales"):
        reformat(lh, sources=["sales"], batches=["nope"])


def test_reformat_refuses_a_duplicate_sighting(make_project, tmp_path):
    lh, folder, _ = _two_batches(make_project, tmp_path)
    write_file(folder, "copy.csv", (folder / "1.csv").read_text())
    run(lh)
    [copy] = lh.manifest.entries("sales", Status.DUPLICATE)

    with pytest.raises(FormatError, match=f"batch {copy.batch_id} is duplicate"):
        reformat(lh, batches=[copy.batch_id])


def test_reformat_leaves_the_batches_of_a_source_no_longer_declared(make_project, tmp_path):
    _, folder, _ = _two_batches(make_project, tmp_path)
    write_file(tmp_path / "old", "1.csv", "id\n1\n")
    both = make_project(
        {"sales": {"path": str(folder), "columns": TYPED}, "old": {"path": str(tmp_path / "old")}}
    )
    run(both)
    only_sales = make_project({"sales": {"path": str(folder), "columns": TYPED}})

    report = reformat(only_sales)

    assert {result.source for result in report.formatting} == {"sales"}
    assert report.ok
