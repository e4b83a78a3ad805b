"""The per-object formatter's commits: a batch with nothing to quarantine adds no commit to
the quarantine table once it exists (an hourly pull or a flush adds one small commit, not two)."""

from __future__ import annotations

from lakebox.catalog import TableRef
from lakebox.formatted.formatter import format_entry
from lakebox.landing.loader import land
from tests.conftest import write_file


def test_a_batch_with_no_refused_row_adds_no_quarantine_commit(make_project, tmp_path):
    folder = tmp_path / "in"
    lh = make_project({"sales": {"path": f"{folder}/*.csv"}})
    for number, text in enumerate(["id\n1\n", "id\n2\n", "id\nx\n3\n", "id\n4\n"]):
        write_file(folder, f"f{number}.csv", text)
        land(lh, "sales")
        [entry] = lh.manifest.entries("sales", "landed")
        format_entry(lh, entry)

    quarantine = lh.catalog.load(TableRef("quarantine", "sales"))
    formatted = lh.catalog.load(TableRef("formatted", "sales"))
    assert formatted is not None and quarantine is not None
    assert len(formatted.snapshots()) == 4
    assert len(quarantine.snapshots()) == 2  # created by the first; the third's bad row
    rows = lh.query("SELECT _reason FROM quarantine.sales").to_pylist()
    assert len(rows) == 1 and "id" in rows[0]["_reason"]
