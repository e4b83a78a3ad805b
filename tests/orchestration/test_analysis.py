"""A run makes the declared forecasts whose inputs changed and runs the anomaly rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lakebox.orchestration.runner import run
from tests.conftest import write_file

START = date(2024, 1, 1)


def _days(first: int, count: int, planted: int | None = None) -> str:
    """CSV of daily sales of two shops: a steady weekly pattern, one planted spike."""
    lines = ["shop,day,amount"]
    for offset in range(first, first + count):
        day = START + timedelta(days=offset)
        for shop, base in (("north", 100), ("south", 50)):
            amount = base + 10 * day.weekday()
            if offset == planted and shop == "north":
                amount *= 3
            lines.append(f"{shop},{day.isoformat()},{amount}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", _days(0, 70, planted=63))
    lh = make_project(
        {"sales": {"path": str(folder)}},
        forecasts={
            "sales": {
                "table": "formatted.sales", "ids": ["shop"], "time": "day", "value": "amount",
                "freq": "D", "horizon": 7,
            }
        },
        anomalies={
            "spikes": {
                "table": "formatted.sales", "ids": ["shop"], "time": "day", "value": "amount",
                "weekday_deviation": {"grain": "day", "weeks": 4, "warn_pct": 50},
            }
        },
    )  # fmt: skip
    return lh, folder


def test_a_run_forecasts_and_finds_the_planted_anomaly(project):
    lh, _ = project
    report = run(lh)
    steps = {(step.kind, step.name): step for step in report.analysis}
    assert report.ok, report.analysis
    assert steps["forecast", "sales"].status == "done"
    assert steps["forecast", "sales"].rows == 2 * 7
    assert (steps["anomalies", "spikes"].status, steps["anomalies", "spikes"].rows) == ("ok", 1)
    found = lh.query("SELECT entity, ts FROM analytics.anomalies").to_pylist()
    assert len(found) == 1 and "north" in found[0]["entity"]
    assert found[0]["ts"].date() == START + timedelta(days=63)


def test_an_unchanged_input_is_not_forecast_again_and_new_data_is(project):
    lh, folder = project
    run(lh)
    again = run(lh)
    assert [s.status for s in again.analysis if s.kind == "forecast"] == ["unchanged"]

    write_file(folder, "2.csv", _days(70, 7))
    later = run(lh)
    assert [s.status for s in later.analysis if s.kind == "forecast"] == ["done"]
    last = lh.query("SELECT max(ds) AS d FROM analytics.forecast_sales").to_pylist()[0]["d"]
    assert last == START + timedelta(days=83)


def test_a_failing_forecast_is_reported_and_the_rules_still_run(project):
    lh, _ = project
    lh.config.forecasts["sales"].value = "no_such_column"
    report = run(lh)
    steps = {(step.kind, step.name): step for step in report.analysis}
    assert steps["forecast", "sales"].status == "failed"
    assert "no_such_column" in steps["forecast", "sales"].message
    assert steps["anomalies", "spikes"].status == "ok"
    assert not report.ok
