"""Alert rules worked by hand: a threshold held for N readings or for a duration, a rate of
change (below 0: a stuck sensor), a z-score against the key's own moving average; each
incident opened once, resolved at the first reading that no longer holds, with an id that
names the reading that opened it (so a re-read opens the very same incident)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from lakebox.config.streams import StreamConfig
from lakebox.stream.events import Record
from lakebox.stream.partition import Output, PartitionState

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MICROS = 1_000_000


class Sensor:
    """One partition of stream `s` with `alerts` (and `extra` keys), fed readings."""

    def __init__(self, alerts: dict[str, Any], **extra: Any) -> None:
        config = {
            "key": "k",
            "time": "t",
            "fields": {"k": "VARCHAR", "t": "TIMESTAMPTZ", "v": "DOUBLE"},
            "alerts": alerts,
            **extra,
        }
        self.state = PartitionState("s", StreamConfig.model_validate(config), 0)
        self.offset = 0

    def send(self, readings: list[tuple[float, float | None]], key: str = "a") -> Output:
        """Send (seconds, value) readings of `key`."""
        batch = []
        for seconds, value in readings:
            line = {"k": key, "t": (T0 + timedelta(seconds=seconds)).isoformat(), "v": value}
            batch.append(Record(0, self.offset, json.dumps(line).encode()))
            self.offset += 1
        return self.state.process(batch)


def changes(output: Output) -> list[tuple[str, bool]]:
    return [(t.incident.incident_id, t.opened) for t in output.transitions]


def every_second(values: list[float | None], start: float = 0) -> list[tuple[float, float | None]]:
    return [(start + index, value) for index, value in enumerate(values)]


def test_a_threshold_held_for_n_readings_opens_once_and_resolves():
    sensor = Sensor({"high": {"field": "v", "above": 35, "events": 3}})
    output = sensor.send(every_second([40, 40, 10, 40, 40, 40, 40, 10, 40]))
    assert changes(output) == [("stream:s:high:a:p0-5", True), ("stream:s:high:a:p0-5", False)]
    opened, resolved = output.transitions
    assert opened.offset == 5 and resolved.offset == 7
    assert opened.incident.subject == "s high: a v > 35 for 3 readings"
    assert opened.incident.kind == "streams" and opened.incident.source == "s"
    assert opened.incident.severity == "warn" and "(value 40)" in opened.incident.detail


def test_a_run_goes_on_across_micro_batches_and_skips_missing_values():
    sensor = Sensor({"high": {"field": "v", "above": 35, "events": 3}})
    assert changes(sensor.send(every_second([40, None]))) == []
    assert changes(sensor.send(every_second([40], start=2))) == []
    assert changes(sensor.send(every_second([40], start=3))) == [("stream:s:high:a:p0-3", True)]


def test_each_key_runs_on_its_own():
    sensor = Sensor({"low": {"field": "v", "below": 5, "events": 2}})
    sensor.send([(0, 1.0)], key="a")
    assert changes(sensor.send([(1, 1.0)], key="b")) == []
    assert changes(sensor.send([(2, 1.0)], key="a")) == [("stream:s:low:a:p0-2", True)]


def test_a_threshold_held_for_a_duration():
    sensor = Sensor(
        {"held": {"field": "v", "above": 1000, "duration": "20s", "severity": "critical"}}
    )
    output = sensor.send([(0, 1200), (10, 1300), (19, 1100), (20, 1500), (30, 1400), (40, 900)])
    assert changes(output) == [("stream:s:held:a:p0-3", True), ("stream:s:held:a:p0-3", False)]
    assert output.transitions[0].incident.severity == "critical"
    assert output.transitions[0].incident.subject == "s held: a v > 1000 for 20s"


def test_a_rate_below_zero_finds_a_stuck_sensor():
    sensor = Sensor({"stuck": {"kind": "rate", "field": "v", "below": 0, "events": 3}})
    output = sensor.send(every_second([5, 5, 5, 5, 5, 6]))
    # the first reading has no rate; the 2nd, 3rd and 4th change by 0 per s
    assert changes(output) == [("stream:s:stuck:a:p0-3", True), ("stream:s:stuck:a:p0-3", False)]
    assert output.transitions[1].offset == 5


def test_a_rate_above_a_bound_is_a_jump():
    sensor = Sensor({"jump": {"kind": "rate", "field": "v", "above": 4, "events": 1}})
    output = sensor.send([(0, 0), (2, 9), (4, 10), (6, 30), (6, 30), (6, 31)])
    # 4.5 per s, 0.5, 10, 0 (same time, same value), then a change in no time at all
    assert changes(output) == [
        ("stream:s:jump:a:p0-1", True),
        ("stream:s:jump:a:p0-1", False),
        ("stream:s:jump:a:p0-3", True),
        ("stream:s:jump:a:p0-3", False),
        ("stream:s:jump:a:p0-5", True),
    ]


def test_a_rate_goes_on_from_the_previous_batch():
    sensor = Sensor({"stuck": {"kind": "rate", "field": "v", "below": 0, "events": 2}})
    assert changes(sensor.send(every_second([7, 7]))) == []
    assert changes(sensor.send(every_second([7], start=2))) == [("stream:s:stuck:a:p0-2", True)]


def test_a_zscore_compares_a_closed_window_with_the_moving_average_before_it():
    sensor = Sensor(
        {"drift": {"kind": "zscore", "window": "m", "of": "v_mean", "average": "ma", "above": 3}},
        windows={"m": {"size": "1m", "aggregates": {"v": ["mean"]}}},
        averages={"ma": {"window": "m", "of": "v_mean", "over": 3}},
    )
    means = [10, 10.5, 9.5, 10, 30, 10, 10]
    found = []
    for minute, mean in enumerate(means):
        found += changes(sensor.send([(minute * 60, mean)]))
    found += changes(sensor.send([(len(means) * 60, 0)]))
    # window 4 (30): 3 before are 10.5, 9.5, 10 (mean 10, deviation 0.5): z = 40;
    # window 5 (10): 9.5, 10, 30: z below 3, so it resolves
    start = int((T0 + timedelta(minutes=4)).timestamp() * MICROS)
    assert found == [
        (f"stream:s:drift:a:p0-{start}", True),
        (f"stream:s:drift:a:p0-{start}", False),
    ]


def test_the_same_readings_open_the_same_incidents_after_a_re_read():
    readings = every_second([40, 40, 40, 10, 40, 40, 40, 40])
    alerts = {"high": {"field": "v", "above": 35, "events": 3}}
    first, second = Sensor(alerts), Sensor(alerts)
    whole = changes(first.send(readings))
    pieces = changes(second.send(readings[:2])) + changes(second.send(readings[2:5]))
    pieces += changes(second.send(readings[5:]))
    assert (
        whole
        == pieces
        == [
            ("stream:s:high:a:p0-2", True),
            ("stream:s:high:a:p0-2", False),
            ("stream:s:high:a:p0-6", True),
        ]
    )
    assert [i.incident_id for i in first.state.open_incidents()] == ["stream:s:high:a:p0-6"]


def test_a_reading_late_inside_a_held_run_neither_reopens_nor_resolves_the_incident():
    held = {"held": {"field": "v", "above": 1000, "duration": "20s"}}
    readings = [(0, 1200), (10, 1300), (20, 1500), (5, 1400), (30, 1400), (40, 900)]
    wanted = [("stream:s:held:a:p0-2", True), ("stream:s:held:a:p0-2", False)]
    assert changes(Sensor(held).send(readings)) == wanted
    for cut in range(1, len(readings)):
        sensor = Sensor(held)
        assert changes(sensor.send(readings[:cut])) + changes(sensor.send(readings[cut:])) == (
            wanted
        ), cut
