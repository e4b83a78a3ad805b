"""A run's report lists the columns its build step made disappear: a model whose SQL stops
selecting a column (its table keeps it, empty), or whose new types recreate its table without
it; a column already gone is not listed again, and a rebuild that keeps every column lists
none."""

from __future__ import annotations

from lakebox.orchestration.runner import run
from lakebox.orchestration.vanished import VANISHED, VanishedColumn
from tests.conftest import write_file


def _model(lh, sql: str) -> None:
    write_file(lh.project_dir / "models", "totals.sql", sql)


def _vanished(lh, **options) -> list[VanishedColumn]:
    report = run(lh, **options)
    assert report.ok, report.error
    return report.of(VANISHED.name)


def test_the_columns_a_build_stops_writing_are_listed_once(make_project) -> None:
    lh = make_project(sources={"sales": {"path": "in/*.csv"}})
    write_file(lh.project_dir / "in", "a.csv", "id,amount,region\n1,10,north\n2,20,south\n")
    _model(lh, "SELECT id, amount, region FROM formatted.sales")
    assert _vanished(lh) == []
    assert _vanished(lh, force=True) == []  # rebuilt with every column
    _model(lh, "SELECT id, region FROM formatted.sales")
    assert _vanished(lh) == [VanishedColumn("build", "exploitation.totals", "amount")]
    assert _vanished(lh, force=True) == []  # gone already
    _model(lh, "SELECT id::VARCHAR AS id FROM formatted.sales")  # a new type: recreated
    assert _vanished(lh) == [VanishedColumn("build", "exploitation.totals", "region")]
