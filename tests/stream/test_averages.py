"""Moving averages of a window's column, per key, worked by hand: simple over the last N
closed windows, exponential with a half-life in event time; a window without a value
leaves the average where it was."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest

from lakebox.config.streams import AverageConfig, StreamConfig
from lakebox.stream.averages import MovingAverage
from lakebox.stream.events import Record
from lakebox.stream.partition import PartitionState
from tests.stream.projects import listed

MINUTE = 60 * 1_000_000


def test_a_simple_average_over_the_last_n_windows():
    average = MovingAverage("ma", AverageConfig(window="m", of="v_mean", over=3))
    taken = [average.update("a", index * MINUTE, value) for index, value in enumerate([1, 2, 3, 4])]
    assert taken == [1.0, 1.5, 2.0, 3.0]
    assert average.update("a", 4 * MINUTE, None) == 3.0  # no value: unchanged
    assert average.update("a", 5 * MINUTE, math.nan) == 3.0
    assert average.update("b", 0, 10) == 10.0  # another key, another history


def test_an_exponential_average_halves_the_weight_of_the_past_every_half_life():
    average = MovingAverage("ewm", AverageConfig(window="m", of="v_mean", half_life="2m"))
    assert average.update("a", 0, 10) == 10.0
    after_one_minute = average.update("a", MINUTE, 20)
    weight = 1 - 0.5**0.5
    assert after_one_minute == pytest.approx(weight * 20 + (1 - weight) * 10, rel=1e-12)
    assert average.update("a", 2 * MINUTE, None) == after_one_minute
    # two minutes after the last value taken: one half-life, half and half
    assert average.update("a", 3 * MINUTE, 40) == pytest.approx(
        0.5 * 40 + 0.5 * after_one_minute, rel=1e-12
    )


def test_before_gives_the_mean_and_sample_deviation_of_the_history():
    average = MovingAverage("ma", AverageConfig(window="m", of="v_mean", over=4))
    assert average.before("a") is None
    average.update("a", 0, 2)
    assert average.before("a") is None  # one value has no deviation
    for index, value in enumerate([4, 4, 6], start=1):
        average.update("a", index * MINUTE, value)
    mean, spread = average.before("a")
    assert mean == 4.0 and spread == pytest.approx(math.sqrt(8 / 3), rel=1e-12)


def test_window_rows_carry_their_averages():
    config = {
        "key": "k",
        "time": "t",
        "fields": {"k": "VARCHAR", "t": "TIMESTAMPTZ", "v": "DOUBLE"},
        "windows": {"m": {"size": "1m", "aggregates": {"v": ["mean"]}}},
        "averages": {
            "ma": {"window": "m", "of": "v_mean", "over": 2},
            "ewm": {"window": "m", "of": "v_mean", "half_life": "1m"},
        },
    }
    state = PartitionState("s", StreamConfig.model_validate(config), 0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = [{"k": "a", "t": (start + timedelta(minutes=m)).isoformat(), "v": v} for m, v in
             enumerate([8.0, 4.0, 2.0, 0.0])]  # fmt: skip
    output = state.process(
        [Record(0, i, json.dumps(line).encode()) for i, line in enumerate(lines)]
    )
    rows = listed(output).rows["m"]
    assert [(row["v_mean"], row["ma"], row["ewm"]) for row in rows] == [
        (8.0, 8.0, 8.0),
        (4.0, 6.0, 6.0),
        (2.0, 3.0, 4.0),
    ]
