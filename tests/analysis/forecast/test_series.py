"""Reading series: columns checked, missing steps filled or refused, too-short series named."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lakebox.analysis.forecast.series import from_arrow, from_frame
from lakebox.errors import AnalysisError
from tests.analysis.forecast.conftest import config, monthly_rows


def frame(values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(monthly_rows(values))


def test_series_are_split_by_id_and_put_in_time_order():
    rows = frame({"b": np.arange(20.0), "a": np.arange(20.0) * 2}).sample(frac=1, random_state=1)

    found = from_frame(rows, config())

    assert [s.key for s in found] == [("a",), ("b",)]
    np.testing.assert_array_equal(found[0].values, np.arange(20.0) * 2)
    assert found[0].start == pd.Timestamp("2020-01-01")


def test_missing_months_are_interpolated_and_counted():
    rows = frame({"a": np.arange(20.0)})
    rows = rows[~rows["month"].isin([date(2020, 3, 1), date(2020, 4, 1)])]

    found = from_frame(rows, config())

    np.testing.assert_array_equal(found[0].values, np.arange(20.0))
    assert found[0].filled == 2
    assert found[0].notes == ["2 missing steps filled (interpolate)"]


def test_missing_months_can_be_refused():
    rows = frame({"a": np.arange(20.0)})
    rows = rows[rows["month"] != date(2020, 3, 1)]

    with pytest.raises(AnalysisError, match=r"store='a' has 1 missing or empty time steps"):
        from_frame(rows, config(fill="error"))


def test_a_too_short_series_is_named():
    rows = frame({"a": np.arange(20.0), "b": np.arange(9.0)})

    with pytest.raises(AnalysisError) as caught:
        from_frame(rows, config())

    assert str(caught.value).startswith(
        "exploitation.sales: store='b' has 9 time steps; a 6-step forecast needs at least 12 "
        "to be backtested (1 of 2 series are that short)"
    )


def test_an_unknown_column_is_named_with_the_columns_there_are():
    table = pa.Table.from_pylist(monthly_rows({"a": np.arange(20.0)}))

    with pytest.raises(AnalysisError) as caught:
        from_arrow(table, config(value="amonut"))

    assert str(caught.value).startswith(
        "exploitation.sales has no column 'amonut' (columns: store, month, amount)"
    )
    assert caught.value.fields == {"table": "exploitation.sales", "column": "amonut"}


def test_a_text_value_column_is_refused():
    table = pa.Table.from_pylist(monthly_rows({"a": np.arange(20.0)})).append_column(
        "label", pa.array(["x"] * 20)
    )

    with pytest.raises(AnalysisError, match="value column 'label' is string, not a number"):
        from_arrow(table, config(value="label"))


def test_two_values_at_one_time_are_refused():
    rows = frame({"a": np.arange(20.0)})

    with pytest.raises(AnalysisError, match=r"store='a' has 2 rows at 2020-01-01"):
        from_frame(pd.concat([rows, rows.head(1)]), config())


def test_a_time_off_the_grid_is_refused():
    rows = frame({"a": np.arange(20.0)})
    rows.loc[3, "month"] = date(2020, 4, 15)

    with pytest.raises(AnalysisError, match="off the 'MS' grid"):
        from_frame(rows, config())
