"""A project with streams for the tests of what the streams report (status, metrics, the live
view): an HTTP stream `air` (1-minute tumbling and 5-minute hopping windows, a moving average,
a threshold alert) and a stream `meters` keyed by a number, with no events; the events the
tests send; and the real worker run over them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import lakebox
from lakebox.lakehouse import Lakehouse
from lakebox.stream.intakes import intake_for
from lakebox.stream.worker import Worker

NDJSON = {"Content-Type": "application/x-ndjson"}
STREAMS = {
    "air": {
        "intake": {"kind": "http"},
        "key": "device_id",
        "time": "ts",
        "fields": {"device_id": "VARCHAR", "ts": "TIMESTAMPTZ", "pm25": "DOUBLE"},
        "lateness": "0s",
        "flush": "1s",
        "windows": {
            "1m": {"size": "1m", "aggregates": {"pm25": ["mean", "max"]}},
            "5m": {"size": "5m", "every": "1m", "aggregates": {"pm25": ["mean"]}},
        },
        "averages": {"pm25_ma3": {"window": "1m", "of": "pm25_mean", "over": 3}},
        "alerts": {"pm25_high": {"kind": "threshold", "field": "pm25", "above": 35, "events": 2}},
    },
    "meters": {
        "intake": {"kind": "http"},
        "key": "meter",
        "time": "ts",
        "fields": {"meter": "BIGINT", "ts": "TIMESTAMPTZ", "kwh": "DOUBLE"},
        "windows": {"1h": {"size": "1h", "aggregates": {"kwh": ["sum"]}}},
    },
}


def stream_project(make_project: Any) -> Lakehouse:
    """Return a fresh project declaring the streams above."""
    return make_project(streams=STREAMS)


def reading(device: str, minute: int, second: int, pm25: float) -> dict[str, Any]:
    """Return one event of stream `air`, on 2026-01-01 from 00:00 UTC."""
    moment = f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:{second:02d}Z"
    return {"device_id": device, "ts": moment, "pm25": pm25}


def first_round() -> list[dict[str, Any]]:
    """Minutes 0 to 4 of aq-01 (pm25 10+m, then 11+m) and aq-07 (20+m, and 50 twice in minute
    4, which opens its alert): 20 events, in time order."""
    events = []
    for minute in range(5):
        for second, extra in ((0, 0), (30, 1)):
            events.append(reading("aq-01", minute, second, 10 + minute + extra))
            events.append(reading("aq-07", minute, second, 50 if minute == 4 else 20 + minute))
    return events


def second_round(device: str = "aq-01", minutes: range = range(5, 8)) -> list[dict[str, Any]]:
    """`device`'s readings of `minutes`, as in the first round."""
    return [
        reading(device, minute, second, 10 + minute + extra)
        for minute in minutes
        for second, extra in ((0, 0), (30, 1))
    ]


LATE = reading("aq-01", 0, 10, 99.0)  # its window closed once minute 4 was seen
REFUSED = {"device_id": "aq-01", "ts": "not a time", "pm25": 1}


def body(events: list[dict[str, Any]]) -> str:
    """Return events as NDJSON."""
    return "\n".join(json.dumps(event) for event in events)


def run_worker(lh: Lakehouse, name: str = "air") -> None:
    """Run stream `name`'s real worker over every logged event, then stop."""
    Worker(lh, name, intake_for(lh, name)).run(until_idle=True)


def minute_row(minute: int) -> dict[str, Any]:
    """Return aq-01's expected 1-minute window `minute` (its two readings)."""
    start = f"2026-01-01T00:{minute:02d}:00+00:00"
    end = f"2026-01-01T00:{minute + 1:02d}:00+00:00"
    return {
        "device_id": "aq-01",
        "window_start": start,
        "window_end": end,
        "events_count": 2,
        "pm25_mean": 10.5 + minute,
        "pm25_max": 11.0 + minute,
    }


@contextmanager
def worker_running(project_dir: Path, name: str = "air") -> Iterator[Lakehouse]:
    """Run stream `name`'s real worker in a thread until the block ends, on a Lakehouse of its
    own (as `lakebox serve` runs each worker in a process of its own); yield that Lakehouse."""
    lh = lakebox.open(project_dir)
    stop = threading.Event()
    worker = Worker(lh, name, intake_for(lh, name))
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop}, daemon=True)
    thread.start()
    try:
        yield lh
    finally:
        stop.set()
        thread.join(timeout=60)
        lh.close()
        assert not thread.is_alive(), "the worker did not stop"


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Wait until `condition()` holds (checked every 50 ms); fail naming `what` if it never does."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds:g} s")
        time.sleep(0.05)
