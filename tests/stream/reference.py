"""A plain-Python reference of the hot path, written from the design alone (no lakebox code):
event by event, in offset order, what each window, moving average and alert rule must give.

It judges each reading against the watermark before it (the largest event time so far
less the lateness), keeps every window's readings as a list and computes its aggregates
with the `statistics` module, so it shares nothing with the incremental implementation.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from tests.stream.projects import Event

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNITS = {"s": 1, "m": 60, "h": 3600}


def seconds(duration: float | str) -> float:
    """Return a duration of the test configs ('10s', '2m', 0.5) in seconds."""
    if isinstance(duration, int | float):
        return float(duration)
    return float(duration[:-1]) * _UNITS[duration[-1]]


def micros(duration: float | str) -> int:
    return round(seconds(duration) * 1_000_000)


def moment(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


@dataclass
class Reading:
    """An accepted event: its offset, key, time (µs) and values."""

    offset: int
    key: str
    time: int
    values: dict[str, Any]


@dataclass
class Expected:
    """What the hot path must produce from a partition's events."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    transitions: list[tuple[str, bool]] = field(default_factory=list)
    accepted: int = 0
    refused: int = 0
    late: int = 0


def accepted(events: list[Event], key: str, time: str, first_offset: int = 0) -> list[Reading]:
    """Return the readings of the good events, numbered by offset from `first_offset`."""
    found = []
    for offset, event in enumerate(events, start=first_offset):
        if event.good:
            data = json.loads(event.line)
            when = datetime.fromisoformat(data[time])
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            found.append(
                Reading(offset, data[key], (when - EPOCH) // timedelta(microseconds=1), data)
            )
    return found


def expected(
    events: list[Event], config: dict[str, Any], stream: str, partition: int = 0
) -> Expected:
    """Return what stream `stream` (declared as `config`) must give for `events`."""
    readings = accepted(events, config["key"], config["time"])
    lateness = micros(config.get("lateness", 0))
    windows = config.get("windows", {})
    members: dict[str, dict[tuple[str, int], list[Reading]]] = {
        n: defaultdict(list) for n in windows
    }
    session_readings: dict[str, list[Reading]] = {n: [] for n in windows}
    late = 0
    largest: int | None = None
    for reading in readings:
        watermark = None if largest is None else largest - lateness
        taken_by_all = True
        for name, window in windows.items():
            if "gap" in window:
                taken = watermark is None or reading.time >= watermark
                if taken:
                    session_readings[name].append(reading)
            else:
                size, every = micros(window["size"]), micros(window.get("every", window["size"]))
                taken = False
                for hop in range(size // every):
                    start = (reading.time // every) * every - hop * every
                    if watermark is None or start + size > watermark:
                        members[name][(reading.key, start)].append(reading)
                        taken = True
            taken_by_all = taken_by_all and taken
        if not windows:
            taken_by_all = watermark is None or reading.time >= watermark
        late += not taken_by_all
        largest = reading.time if largest is None else max(largest, reading.time)
    final = None if largest is None else largest - lateness
    result = Expected(accepted=len(readings), refused=len(events) - len(readings), late=late)
    for name, window in windows.items():
        if "gap" in window:
            spans = _sessions(session_readings[name], micros(window["gap"]))
        else:
            size = micros(window["size"])
            spans = [
                (key, start, start + size, group) for (key, start), group in members[name].items()
            ]
        closed = sorted(
            (span for span in spans if final is not None and span[2] <= final),
            key=lambda span: (span[0], span[1]),
        )
        result.rows[name] = [
            _row(config["key"], key, start, end, group, window.get("aggregates", {}))
            for key, start, end, group in closed
        ]
    _averages(result.rows, config)
    result.transitions = _event_rules(readings, config, stream, partition)
    result.transitions += _window_rules(result.rows, config, stream, partition)
    return result


def _sessions(readings: list[Reading], gap: int) -> list[tuple[str, int, int, list[Reading]]]:
    by_key: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_key[reading.key].append(reading)
    spans = []
    for key, group in by_key.items():
        group = sorted(group, key=lambda r: (r.time, r.offset))
        current = [group[0]]
        for reading in group[1:]:
            if reading.time - current[-1].time < gap:
                current.append(reading)
            else:
                spans.append((key, current[0].time, current[-1].time + gap, current))
                current = [reading]
        spans.append((key, current[0].time, current[-1].time + gap, current))
    return spans


def _row(
    key_name: str,
    key: str,
    start: int,
    end: int,
    group: list[Reading],
    aggregates: dict[str, list[str]],
) -> dict[str, Any]:
    row: dict[str, Any] = {
        key_name: key,
        "window_start": moment(start),
        "window_end": moment(end),
        "events_count": len(group),
    }
    for name, wanted in aggregates.items():
        present = [r for r in group if r.values.get(name) is not None]
        values = [r.values[name] for r in present]
        for aggregate in wanted:
            row[f"{name}_{aggregate}"] = _aggregate(aggregate, values, present, name)
    return row


def _aggregate(aggregate: str, values: list[Any], present: list[Reading], name: str) -> Any:
    if aggregate == "count":
        return len(values)
    if not values:
        return None
    if aggregate == "last":
        return max(present, key=lambda r: (r.time, r.offset)).values[name]
    if aggregate == "stddev":
        return statistics.stdev(values) if len(values) > 1 else None
    return {
        "sum": lambda: float(math.fsum(values)),
        "mean": lambda: statistics.fmean(values),
        "min": lambda: float(min(values)),
        "max": lambda: float(max(values)),
    }[aggregate]()


def _averages(rows: dict[str, list[dict[str, Any]]], config: dict[str, Any]) -> None:
    key = config["key"]
    for name, average in config.get("averages", {}).items():
        history: dict[str, deque[float]] = defaultdict(partial(deque, maxlen=average.get("over")))
        smoothed: dict[str, tuple[float, int]] = {}
        for row in sorted(rows[average["window"]], key=lambda r: (r[key], r["window_start"])):
            value = row[average["of"]]
            start = (row["window_start"] - EPOCH) // timedelta(microseconds=1)
            if "over" in average:
                if value is not None:
                    history[row[key]].append(value)
                kept = history[row[key]]
                row[name] = statistics.fmean(kept) if kept else None
                continue
            if value is not None:
                before = smoothed.get(row[key])
                if before is None:
                    smoothed[row[key]] = (value, start)
                else:
                    weight = 1 - 0.5 ** ((start - before[1]) / micros(average["half_life"]))
                    smoothed[row[key]] = (weight * value + (1 - weight) * before[0], start)
            row[name] = smoothed[row[key]][0] if row[key] in smoothed else None


def _incident(stream: str, rule: str, key: str, partition: int, offset: int) -> str:
    return f"stream:{stream}:{rule}:{key}:p{partition}-{offset}"


def _event_rules(
    readings: list[Reading], config: dict[str, Any], stream: str, partition: int
) -> list[tuple[str, bool]]:
    found = []
    for name, rule in config.get("alerts", {}).items():
        if rule.get("kind") == "zscore":
            continue
        runs: dict[str, dict[str, Any]] = defaultdict(lambda: {"run": 0, "open": None})
        previous: dict[str, Reading] = {}
        for reading in readings:
            value = reading.values.get(rule["field"])
            if value is None:
                continue
            if rule.get("kind") == "rate":
                measured = _rate(previous.get(reading.key), reading, rule["field"])
                previous[reading.key] = reading
            else:
                measured = value
            holds = measured is not None and _holds(rule, measured)
            found += _step(runs[reading.key], holds, reading, rule, stream, name, partition)
    return found


def _rate(before: Reading | None, reading: Reading, name: str) -> float | None:
    if before is None:
        return None
    change = abs(reading.values[name] - before.values[name])
    elapsed = (reading.time - before.time) / 1_000_000
    if elapsed > 0:
        return change / elapsed
    return math.inf if change > 0 else 0.0


def _holds(rule: dict[str, Any], value: float) -> bool:
    if "above" in rule:
        return value > rule["above"]
    return value <= rule["below"] if rule.get("kind") == "rate" else value < rule["below"]


def _step(
    state: dict[str, Any],
    holds: bool,
    reading: Reading,
    rule: dict[str, Any],
    stream: str,
    name: str,
    partition: int,
) -> list[tuple[str, bool]]:
    if not holds:
        state["run"] = 0
        if state["open"] is not None:
            resolved, state["open"] = state["open"], None
            return [(resolved, False)]
        return []
    if state["run"] == 0:
        state["since"] = reading.time
    state["run"] += 1
    if state["open"] is not None:
        return []
    if "duration" in rule:
        due = reading.time - state["since"] >= micros(rule["duration"])
    else:
        due = state["run"] >= rule.get("events", 1)
    if not due:
        return []
    state["open"] = _incident(stream, name, reading.key, partition, reading.offset)
    return [(state["open"], True)]


def _window_rules(
    rows: dict[str, list[dict[str, Any]]], config: dict[str, Any], stream: str, partition: int
) -> list[tuple[str, bool]]:
    found = []
    key = config["key"]
    for name, rule in config.get("alerts", {}).items():
        if rule.get("kind") != "zscore":
            continue
        over = config["averages"][rule["average"]]["over"]
        history: dict[str, deque[float]] = defaultdict(partial(deque, maxlen=over))
        states: dict[str, dict[str, Any]] = defaultdict(lambda: {"run": 0, "open": None})
        for row in sorted(rows[rule["window"]], key=lambda r: (r[key], r["window_start"])):
            value, before = row[rule["of"]], list(history[row[key]])
            if value is not None:
                history[row[key]].append(value)
            if value is None or len(before) < 2:
                continue
            spread = statistics.stdev(before)
            score = (value - statistics.fmean(before)) / spread if spread > 0 else 0.0
            start = (row["window_start"] - EPOCH) // timedelta(microseconds=1)
            reading = Reading(start, row[key], start, {})
            found += _step(
                states[row[key]], _holds(rule, score), reading, rule, stream, name, partition
            )
    return found
