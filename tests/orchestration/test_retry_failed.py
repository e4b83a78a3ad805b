"""A landed file whose formatting failed is tried again once its config (or lakebox)
changed, its rows never doubled, and the run says so."""

from __future__ import annotations

import logging

import xlsxwriter

from lakebox.catalog.manifest import Status
from lakebox.orchestration.runner import run
from tests.conftest import write_file


def _stock_with_remarks(path):
    """A "Stock" sheet and a "Remarks" sheet of another shape: the file fails by default."""
    book = xlsxwriter.Workbook(str(path))
    stock = book.add_worksheet("Stock")
    stock.write_row(0, 0, ["sku", "qty"])
    stock.write_row(1, 0, ["A-1", 12])
    stock.write_row(2, 0, ["B-2", "lots"])  # not a number: quarantined
    remarks = book.add_worksheet("Remarks")
    remarks.write_column(0, 0, ["Remark", "counted twice"])
    book.close()


def test_a_failed_file_is_retried_once_its_config_changes(make_project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _stock_with_remarks(folder / "stock.xlsx")
    lh = make_project({"stock": {"path": str(folder), "columns": {"qty": {"type": "BIGINT"}}}})
    first = run(lh)
    [failed] = lh.manifest.entries("stock")
    assert (failed.status, failed.attempts) == (Status.FAILED, 1)
    assert not first.ok

    assert first.failed_waiting == []  # it failed in this run: the run reports it as such
    unchanged = run(lh)  # same config, same lakebox: it would fail the same way
    assert unchanged.formatting == [] and unchanged.ok
    assert unchanged.failed_waiting == [failed.batch_id]
    assert lh.manifest.entries("stock")[0].attempts == 1

    qty = {"qty": {"type": "BIGINT"}}
    fixed = make_project({"stock": {"path": str(folder), "sheets": ["Stock"], "columns": qty}})
    report = run(fixed)

    [result] = report.formatting
    assert (result.status, result.retried, result.error) == ("formatted", True, None)
    assert report.failed_waiting == []
    [entry] = fixed.manifest.entries("stock")
    assert (entry.status, entry.attempts, entry.failed_with, entry.error) == (
        Status.FORMATTED,
        2,
        None,
        None,
    )
    assert (entry.rows_read, entry.rows_formatted, entry.rows_quarantined) == (2, 1, 1)
    assert fixed.query("SELECT count(*) AS n FROM formatted.stock").to_pylist() == [{"n": 1}]
    assert fixed.query("SELECT count(*) AS n FROM quarantine.stock").to_pylist() == [{"n": 1}]
    assert report.ok


def _partly_written(make_project, tmp_path, **source):
    """A source whose file was formatted and committed, then marked failed as a crash
    between its two commits (or an older lakebox) would leave it."""
    write_file(tmp_path / "in", "1.csv", "id,amount\n1,10\n2,20\n3,x\n")
    typed = {"columns": {"amount": {"type": "BIGINT"}}}
    lh = make_project({"sales": {"path": str(tmp_path / "in"), **typed, **source}})
    run(lh)
    [entry] = lh.manifest.entries("sales")
    lh.manifest.update(entry.batch_id, status=Status.FAILED, error="crashed", failed_with=None)
    return lh, entry


def test_a_retry_after_a_partial_write_replaces_the_batch_rows(make_project, tmp_path):
    lh, entry = _partly_written(make_project, tmp_path)

    report = run(lh)

    [result] = report.formatting
    assert (result.batch_id, result.status, result.retried) == (entry.batch_id, "formatted", True)
    counts = lh.query(
        "SELECT (SELECT count(*) FROM formatted.sales) AS formatted, "
        "(SELECT count(*) FROM quarantine.sales) AS quarantined"
    ).to_pylist()
    assert counts == [{"formatted": 2, "quarantined": 1}]
    [again] = lh.manifest.entries("sales")
    assert again.rows_read == again.rows_formatted + again.rows_quarantined + again.rows_duplicate
    assert (again.rows_formatted, again.rows_quarantined) == (2, 1)


def test_a_keyed_retry_keeps_the_rows_of_a_later_batch(make_project, tmp_path):
    lh, entry = _partly_written(make_project, tmp_path, key=["id"])
    write_file(tmp_path / "in", "2.csv", "id,amount\n2,25\n")
    run(lh)  # lands and merges 2.csv; the failed 1.csv was not due (already tried)
    lh.manifest.update(entry.batch_id, failed_with=None)

    run(lh)

    rows = lh.query("SELECT id, amount FROM formatted.sales ORDER BY id").to_pylist()
    assert rows == [{"id": 1, "amount": 10}, {"id": 2, "amount": 25}]


def test_a_failed_file_is_named_once_in_the_log(make_project, tmp_path, caplog):
    folder = tmp_path / "in"
    folder.mkdir()
    _stock_with_remarks(folder / "stock.xlsx")
    lh = make_project({"stock": {"path": str(folder)}})
    with caplog.at_level(logging.WARNING, logger="lakebox.formatted.formatter"):
        run(lh)
    [entry] = lh.manifest.entries("stock")
    [message] = [r.getMessage() for r in caplog.records if "sheet 'Remarks'" in r.getMessage()]
    assert message.startswith(f"{entry.landed_path}: sheet 'Remarks' has columns")
    assert message.count("stock.xlsx") == 1
