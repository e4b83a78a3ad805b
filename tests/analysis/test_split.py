"""Time-based splits: never random, and no validation row before a training row."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lakebox.analysis.split import guess_time_column, time_split
from lakebox.errors import ModelLifecycleError

START = datetime(2026, 1, 1)


def hourly(hours: int) -> pa.Table:
    """Return hourly rows in a shuffled order, so a split cannot lean on the input's order."""
    order = [(hour * 7) % hours for hour in range(hours)]  # 7 is prime to the sizes used
    return pa.table(
        {
            "ts": pa.array([START + timedelta(hours=h) for h in order], pa.timestamp("us")),
            "x": pa.array([float(h) for h in order]),
        }
    )


def assert_time_ordered(split) -> None:
    latest_train = pc.max(split.train[split.time]).as_py()
    earliest_validation = pc.min(split.validation[split.time]).as_py()
    assert latest_train < split.cutoff <= earliest_validation


def test_a_fraction_keeps_the_last_share_of_the_time_range():
    split = time_split(hourly(100), "ts", validation=0.2)
    assert_time_ordered(split)
    assert split.cutoff == START + timedelta(hours=99 * 0.8)
    assert (split.train.num_rows, split.validation.num_rows) == (80, 20)
    assert split.train["ts"].to_pylist() == sorted(split.train["ts"].to_pylist())


def test_a_cutoff_time_splits_there():
    split = time_split(hourly(100), "ts", cutoff="2026-01-03T00:00:00")
    assert_time_ordered(split)
    assert split.validation.num_rows == 100 - 48
    assert split.describe() == {
        "time": "ts",
        "cutoff": "2026-01-03T00:00:00",
        "train_rows": 48,
        "validation_rows": 52,
    }


def test_dates_numbers_and_zoned_times_split_too():
    days = pa.table({"day": [date(2026, 1, d) for d in range(10, 0, -1)]})
    assert_time_ordered(time_split(days, "day", validation=0.3))
    periods = pa.table({"period": list(range(20))})
    assert time_split(periods, "period", cutoff="15").validation.num_rows == 5
    zoned = pa.table({"ts": hourly(10)["ts"].cast(pa.timestamp("us", tz="UTC"))})
    assert time_split(zoned, "ts", cutoff="2026-01-01T05:00:00").validation.num_rows == 5


def test_splits_that_cannot_be_made_say_why():
    with pytest.raises(ModelLifecycleError, match="leaves no validation rows"):
        time_split(hourly(10), "ts", cutoff="2027-01-01")
    with pytest.raises(ModelLifecycleError, match="leaves no training rows"):
        time_split(pa.table({"ts": [START, START]}), "ts")
    with pytest.raises(ModelLifecycleError, match="between 0 and 1"):
        time_split(hourly(10), "ts", validation=1.5)
    with pytest.raises(ModelLifecycleError, match="2 empty values"):
        time_split(pa.table({"ts": [START, None, None]}), "ts")
    with pytest.raises(ModelLifecycleError, match="no time column 'when'"):
        time_split(hourly(10), "when")


def test_the_time_column_is_guessed_only_when_there_is_one():
    assert guess_time_column(hourly(3).schema) == "ts"
    with pytest.raises(ModelLifecycleError, match="--time"):
        guess_time_column(pa.schema([("a", pa.date32()), ("b", pa.timestamp("us"))]))
