"""Each run is recorded in `ops.runs`, and each of its steps in `ops.step_runs`."""

from __future__ import annotations

import pytest

from lakebox.errors import ConfigError
from lakebox.orchestration import history
from lakebox.orchestration.runner import ingest, run
from tests.conftest import write_file

SALES = "id,store,amount\n1,BCN,10\n2,LYS,5\n3,BCN,1\n"


@pytest.fixture
def lh(make_project):
    lh = make_project({"sales": {"path": "in/*.csv"}})
    write_file(lh.project_dir / "in", "a.csv", SALES)
    write_file(
        lh.project_dir / "models",
        "totals.sql",
        "SELECT store, sum(amount) AS amount FROM formatted.sales GROUP BY store",
    )
    return lh


def _steps(lh, run_id: str) -> dict[str, dict]:
    return {step["step"]: step for step in history.run_steps(lh, run_id)}


def test_a_run_writes_one_run_row_and_a_row_per_step(lh):
    report = run(lh)
    [recorded] = history.recent(lh)
    assert recorded["run_id"] == report.run_id
    assert (recorded["pipeline"], recorded["command"], recorded["status"]) == (
        "default",
        "run",
        "ok",
    )
    assert (recorded["rows_in"], recorded["bytes_in"]) == (3, len(SALES))
    assert recorded["rows_out"] == 3 + 2  # formatted rows, then the model's rows
    assert recorded["peak_memory_bytes"] > 0 and recorded["error"] is None
    assert recorded["ended_at"] >= recorded["started_at"]
    steps = _steps(lh, report.run_id)
    assert list(steps) == ["land:sales", "format:sales", "build:totals", "checks"]
    assert steps["land:sales"]["bytes"] == len(SALES)
    assert (steps["format:sales"]["rows_in"], steps["format:sales"]["rows_out"]) == (3, 3)
    assert (steps["build:totals"]["status"], steps["build:totals"]["rows_out"]) == ("built", 2)


def test_each_run_adds_its_own_rows(lh):
    first = run(lh)
    second = run(lh)
    assert [row["run_id"] for row in history.recent(lh)] == [second.run_id, first.run_id]
    assert _steps(lh, second.run_id)["build:totals"]["status"] == "fresh"
    assert history.recent(lh, limit=1)[0]["run_id"] == second.run_id


def test_ingest_is_recorded_as_an_ingest(lh):
    report = ingest(lh)
    [recorded] = history.recent(lh)
    assert (recorded["run_id"], recorded["command"]) == (report.run_id, "ingest")
    assert list(_steps(lh, report.run_id)) == ["land:sales", "format:sales"]


def test_a_failed_model_makes_a_failed_run_naming_the_step(lh):
    write_file(lh.project_dir / "models", "broken.sql", "SELECT nope FROM formatted.sales")
    report = run(lh)
    [recorded] = history.recent(lh)
    assert not report.ok and recorded["status"] == "failed"
    assert recorded["error"].startswith("build:broken: ")
    assert _steps(lh, report.run_id)["build:broken"]["status"] == "failed"


def test_a_run_that_raises_is_recorded_as_failed_then_the_error_goes_on(lh):
    with pytest.raises(ConfigError, match="no source named 'nope'") as raised:
        run(lh, sources=["nope"])
    [recorded] = history.recent(lh)
    assert recorded["status"] == "failed"
    assert recorded["error"] == str(raised.value)


def test_steps_follow_the_sources_one_after_another(make_project):
    lh = make_project({"sales": {"path": "in/*.csv"}, "stores": {"path": "stores/*.csv"}})
    write_file(lh.project_dir / "in", "a.csv", SALES)
    write_file(lh.project_dir / "stores", "s.csv", "store,city\nBCN,Barcelona\n")
    report = ingest(lh)
    steps = _steps(lh, report.run_id)
    assert list(steps) == ["land:sales", "format:sales", "land:stores", "format:stores"]
    assert steps["format:stores"]["rows_out"] == 1
    assert history.recent(lh)[0]["rows_in"] == 3 + 1
