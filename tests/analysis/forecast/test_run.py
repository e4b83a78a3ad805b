"""`forecast(lh, config)` against a real lakehouse: what it reads, what it writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lakebox.analysis.forecast.run import forecast, forecast_declared
from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.config.forecasts import ForecastConfig
from lakebox.errors import AnalysisError
from tests.analysis.conftest import write_table
from tests.analysis.forecast.conftest import config, monthly_rows, seasonal_values

FORECAST_COLUMNS = [
    "store",
    "ds",
    "forecast",
    "lo_80",
    "hi_80",
    "lo_95",
    "hi_95",
    "model",
    "created_at",
]
METRICS_COLUMNS = [
    "store",
    "model",
    "smape",
    "mase",
    "chosen",
    "windows",
    "horizon",
    "note",
    "created_at",
]


@pytest.fixture
def lh(make_project):
    lh = make_project()
    values = {"north": seasonal_values(36, seed=1), "south": 20 + 2.0 * np.arange(36)}
    write_table(lh, "exploitation.sales", monthly_rows(values))
    return lh


def test_the_tables_hold_one_row_per_series_and_step(lh):
    report = forecast(lh, config())

    table = lh.query("SELECT * FROM analytics.forecast_sales ORDER BY store, ds")
    assert table.column_names == FORECAST_COLUMNS
    assert table.num_rows == 2 * 6 == report.rows
    rows = table.to_pylist()
    assert [str(row["ds"]) for row in rows[:2]] == ["2023-01-01", "2023-02-01"]
    assert all(r["lo_95"] <= r["lo_80"] <= r["forecast"] <= r["hi_80"] <= r["hi_95"] for r in rows)
    south = [row["forecast"] for row in rows if row["store"] == "south"]
    assert np.all(np.diff(south) > 0) and abs(south[0] - 92) < 2  # the trend carries on


def test_the_metrics_record_every_candidate_and_the_choice(lh):
    report = forecast(lh, config())

    metrics = lh.query("SELECT * FROM analytics.forecast_sales_metrics")
    assert metrics.column_names == METRICS_COLUMNS
    rows = metrics.to_pylist()
    chosen = {row["store"]: row["model"] for row in rows if row["chosen"]}
    assert chosen == {one.ids["store"]: one.model for one in report.series}
    south = sorted((row["mase"], row["model"]) for row in rows if row["store"] == "south")
    best = {model: mase for mase, model in south}
    assert south[0][0] < 1e-9 and best["polynomial(1)"] < 1e-9  # a line backtests perfectly
    assert {row["horizon"] for row in rows} == {6} and {row["windows"] for row in rows} == {2}
    per_store = [row for row in rows if row["store"] == "north"]
    assert {"theta", "seasonal_naive", "polynomial(1)"} <= {row["model"] for row in per_store}


def test_the_commit_records_the_snapshot_read_and_a_rerun_replaces(lh):
    first = forecast(lh, config())
    second = forecast(lh, config())

    table = lh.catalog.load(TableRef("analytics", "forecast_sales"))
    properties = snapshot_properties(table.current_snapshot())
    source = lh.catalog.summary(TableRef("exploitation", "sales"))["snapshot_id"]
    assert json.loads(properties["lakebox.inputs"]) == {"exploitation.sales": source}
    assert first.inputs == second.inputs == {"exploitation.sales": source}
    assert properties["lakebox.forecast"] == "sales"
    assert second.snapshot_id != first.snapshot_id
    assert lh.query("SELECT count(*) AS n FROM analytics.forecast_sales").to_pylist() == [{"n": 12}]


def test_a_query_is_forecast_and_its_tables_recorded(lh):
    sql = "SELECT store, month, amount * 2 AS amount FROM exploitation.sales WHERE store = 'south'"

    report = forecast(lh, config(table=None, sql=sql))

    assert list(report.inputs) == ["exploitation.sales"]
    assert [one.ids for one in report.series] == [{"store": "south"}]


def test_an_unknown_column_is_a_clear_error(lh):
    with pytest.raises(AnalysisError) as caught:
        forecast(lh, config(ids=["shop"]))

    assert str(caught.value).startswith(
        "exploitation.sales has no column 'shop' (columns: store, month, amount)"
    )


def test_an_unknown_table_is_a_clear_error(lh):
    with pytest.raises(AnalysisError, match=r"forecast .sales.: no table .exploitation\.nosuch."):
        forecast(lh, config(table="exploitation.nosuch"))


def test_declared_forecasts_run_by_name(lh):
    declared = config().model_dump(exclude={"name"})
    lh.config.forecasts = {"shops": ForecastConfig.model_validate(declared)}

    reports = forecast_declared(lh)

    assert [report.table for report in reports] == ["analytics.forecast_shops"]
    with pytest.raises(AnalysisError, match=r"no forecast named 'nope' .*\(declared: shops\)"):
        forecast_declared(lh, ["nope"])
