"""Feature tables: declared expressions, lags and rolling means per series, calendar parts."""

from __future__ import annotations

import pytest

from lakebox.analysis.features import FeatureSpec, build_features
from lakebox.analysis.sandbox import create_sandbox
from lakebox.errors import ModelLifecycleError
from tests.analysis.conftest import project_with_readings


@pytest.fixture
def lh(make_project):
    lh = project_with_readings(make_project, 6)
    create_sandbox(lh, "both", "SELECT * FROM exploitation.readings")
    return lh


def test_features_are_added_per_series_without_leaking_the_row_itself(lh):
    spec = FeatureSpec(
        time="ts",
        keys=("sensor",),
        expressions={"x_squared": "x * x"},
        lags={"y": (1, 2)},
        rolling={"y": (2,)},
        calendar=("weekday", "hour", "month"),
    )
    frozen = build_features(lh, "both", "both", spec)
    assert frozen.table == "analytics.features_both" and frozen.rows == 12
    assert list(frozen.inputs) == ["analytics.sandbox_both"]
    rows = lh.query(
        "SELECT * FROM analytics.features_both WHERE sensor = 'b' ORDER BY ts"
    ).to_pylist()
    assert [row["y"] for row in rows] == [2, 5, 8, 11, 14, 17]
    assert [row["y_lag_1"] for row in rows] == [None, 2, 5, 8, 11, 14]
    assert [row["y_lag_2"] for row in rows] == [None, None, 2, 5, 8, 11]
    assert [row["y_mean_2"] for row in rows] == [None, 2, 3.5, 6.5, 9.5, 12.5]
    assert [row["x_squared"] for row in rows] == [0, 1, 4, 9, 16, 25]
    assert {(row["ts_weekday"], row["ts_month"]) for row in rows} == {(1, 3)}
    assert [row["ts_hour"] for row in rows] == [0, 1, 2, 3, 4, 5]


def test_time_features_need_the_time_column_and_known_parts(lh):
    with pytest.raises(ModelLifecycleError, match="need the time column"):
        build_features(lh, "f", "both", FeatureSpec(lags={"y": (1,)}))
    with pytest.raises(ModelLifecycleError, match="unknown calendar feature"):
        build_features(lh, "f", "both", FeatureSpec(time="ts", calendar=("fortnight",)))
    with pytest.raises(ModelLifecycleError, match="is a query"):
        build_features(lh, "f", "both", FeatureSpec(expressions={"n": "SELECT 1"}))
