"""Windows in event time, worked by hand: where a reading falls (tumbling, hopping, session),
when a window closes (the watermark reaches its end), which late readings still count and
which are counted late, and each aggregate's value."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lakebox.config.streams import StreamConfig
from lakebox.stream.events import Record
from lakebox.stream.partition import Output, PartitionState
from tests.stream.projects import listed

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Device:
    """One partition of a stream with the given windows, fed readings as (seconds, value)."""

    def __init__(self, windows: dict[str, Any], lateness: float = 0) -> None:
        config = {
            "key": "k",
            "time": "t",
            "fields": {"k": "VARCHAR", "t": "TIMESTAMPTZ", "v": "DOUBLE"},
            "lateness": lateness,
            "windows": windows,
        }
        self.state = PartitionState("s", StreamConfig.model_validate(config), 0)
        self.offset = 0

    def send(
        self, *readings: tuple[float, float | None] | tuple[float, float | None, str]
    ) -> Output:
        batch = []
        for reading in readings:
            seconds, value = reading[0], reading[1]
            key = reading[2] if len(reading) > 2 else "a"
            line = {"k": key, "t": at(seconds).isoformat(), "v": value}
            batch.append(Record(0, self.offset, json.dumps(line).encode()))
            self.offset += 1
        return listed(self.state.process(batch))


def spans(rows: list[dict[str, Any]]) -> list[tuple[float, float, int]]:
    return [
        (
            (row["window_start"] - T0).total_seconds(),
            (row["window_end"] - T0).total_seconds(),
            row["events_count"],
        )
        for row in rows
    ]


def test_a_tumbling_window_holds_its_start_and_not_its_end():
    device = Device({"m": {"size": "1m", "aggregates": {"v": ["count"]}}})
    assert device.send((0, 1), (59.999, 2), (60, 3)).rows == {"m": [device_row(0, 60, 2)]}
    assert spans(device.send((120, 4)).rows["m"]) == [(60, 120, 1)]


def device_row(start: float, end: float, count: int) -> dict[str, Any]:
    return {
        "k": "a",
        "window_start": at(start),
        "window_end": at(end),
        "events_count": count,
        "v_count": count,
    }


def test_a_window_closes_once_the_watermark_reaches_its_end():
    device = Device({"m": {"size": "1m"}}, lateness=10)
    assert device.send((5, 1), (69, 2)).rows == {}  # watermark 59: [0, 60) is open
    assert spans(device.send((70, 3)).rows["m"]) == [(0, 60, 1)]  # watermark 60


def test_a_hopping_window_takes_a_reading_in_size_over_every_windows():
    device = Device({"h": {"size": "2m", "every": "30s"}})
    device.send((75, 1))
    assert spans(device.send((400, 2)).rows["h"]) == [
        (-30, 90, 1),
        (0, 120, 1),
        (30, 150, 1),
        (60, 180, 1),
    ]


def test_sessions_split_at_the_gap_and_merge_when_a_reading_bridges_them():
    device = Device({"s": {"gap": "20s", "aggregates": {"v": ["count", "max"]}}}, lateness=30)
    first = device.send((0, 1), (10, 2), (25, 3), (45, 4), (70, 5), (100, 6))
    assert spans(first.rows["s"]) == [(0, 45, 3), (45, 65, 1)]  # 25 to 45: a whole gap
    device.send((85, 7))  # 70 and 100 are 30 apart: 85 bridges them
    rows = first.rows["s"] + device.send((200, 0)).rows["s"]
    assert spans(rows) == [(0, 45, 3), (45, 65, 1), (70, 120, 3)]
    assert [row["v_max"] for row in rows] == [3, 4, 7]


def test_a_late_reading_within_the_lateness_updates_its_window_and_a_later_one_is_late():
    device = Device({"m": {"size": "1m", "aggregates": {"v": ["count", "sum"]}}}, lateness=10)
    first = device.send((55, 1), (65, 2), (58, 4))  # watermark 55 when 58 comes: counted
    assert first.late == 0
    second = device.send((75, 8), (59, 16))  # watermark 65 when 59 comes: [0, 60) closed
    assert second.late == 1 and second.accepted == 2
    assert [(row["events_count"], row["v_sum"]) for row in second.rows["m"]] == [(2, 5.0)]
    assert device.state.counters.late == 1


def test_a_session_reading_behind_the_watermark_is_late():
    device = Device({"s": {"gap": "5s"}}, lateness=2)
    assert device.send((10, 1), (9, 1)).late == 0  # watermark 8
    assert device.send((7, 1)).late == 1


def test_a_late_reading_is_late_when_any_window_refuses_it():
    windows = {"m": {"size": "1m"}, "s": {"gap": "5s"}}
    device = Device(windows, lateness=5)
    assert device.send((30, 1), (20, 1)).late == 1  # [0, 60) takes it; the session does not


def test_each_key_has_its_own_windows():
    device = Device({"m": {"size": "1m"}})
    device.send((1, 1, "b"), (2, 1, "a"), (3, 1, "b"))
    rows = device.send((61, 1, "a")).rows["m"]
    assert [(row["k"], row["events_count"]) for row in rows] == [("a", 1), ("b", 2)]


def test_every_aggregate_of_a_window():
    aggregates = ["count", "sum", "mean", "min", "max", "stddev", "last"]
    device = Device({"m": {"size": "1m", "aggregates": {"v": aggregates}}})
    device.send((1, 4.0), (3, None), (2, 1.0))
    device.send((2, 3.0), (5, 2.0), (5, None))  # last: the latest time, then offset
    row = device.send((60, 0)).rows["m"][0]
    assert row["events_count"] == 6 and row["v_count"] == 4
    assert (row["v_sum"], row["v_mean"], row["v_min"], row["v_max"]) == (10.0, 2.5, 1.0, 4.0)
    assert row["v_stddev"] == pytest.approx(1.2909944487358056, rel=1e-12)
    assert row["v_last"] == 2.0


def test_a_window_without_values_has_no_aggregates_but_its_count():
    aggregates = ["count", "sum", "mean", "min", "max", "stddev", "last"]
    device = Device({"m": {"size": "1m", "aggregates": {"v": aggregates}}})
    row = device.send((1, None), (2, 7.0), (61, 1.0)).rows["m"]
    row += device.send((200, 0)).rows["m"]
    assert row[0]["v_stddev"] is None  # one value: no sample deviation
    assert {key: value for key, value in row[1].items() if key.startswith("v_")} == {
        "v_count": 1,
        "v_sum": 1.0,
        "v_mean": 1.0,
        "v_min": 1.0,
        "v_max": 1.0,
        "v_stddev": None,
        "v_last": 1.0,
    }
    device = Device({"m": {"size": "1m", "aggregates": {"v": aggregates}}})
    device.send((1, None))
    empty = device.send((61, None)).rows["m"][0]
    assert empty["events_count"] == 1 and empty["v_count"] == 0
    assert all(empty[f"v_{name}"] is None for name in aggregates if name != "count")


def test_open_windows_are_shown_live():
    device = Device({"m": {"size": "1m", "aggregates": {"v": ["mean"]}}})
    device.send((1, 2.0), (2, 4.0))
    assert device.state.live("m").to_pylist() == [
        {"k": "a", "window_start": at(0), "window_end": at(60), "events_count": 2, "v_mean": 3.0}
    ]
