"""Stream projects for the hot-path tests: one declared stream with every kind of window,
moving average and alert rule, a deterministic feed of readings (late ones and refused ones
among them), and the real servers the tests talk to (the app over HTTP, a webhook sink)."""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

from lakebox.catalog import TableRef
from lakebox.lakehouse import Lakehouse
from lakebox.stream.intakes.logged import LoggedIntake
from lakebox.stream.partition import Output
from lakebox.stream.places import wal_dir
from lakebox.stream.wal import Wal
from lakebox.stream.worker import Worker
from tests.conftest import free_port

NAME = "air"
START = datetime(2024, 1, 1, tzinfo=UTC)
FIELDS = {
    "device_id": "VARCHAR",
    "ts": "TIMESTAMPTZ",
    "pm25": "DOUBLE",
    "co2": "BIGINT",
    "ok": "BOOLEAN",
}
ALL_AGGREGATES = ["count", "sum", "mean", "min", "max", "stddev", "last"]


def stream_config(**overrides: Any) -> dict[str, Any]:
    """Return the test stream's declaration: a tumbling, a hopping and a session window,
    a simple and an exponential moving average, and one rule of each kind."""
    config: dict[str, Any] = {
        "key": "device_id",
        "time": "ts",
        "fields": dict(FIELDS),
        "lateness": "10s",
        "flush": 0.2,
        "windows": {
            "m1": {
                "size": "1m",
                "aggregates": {"pm25": ALL_AGGREGATES, "co2": ["mean", "last"], "ok": ["count"]},
            },
            "h2": {"size": "2m", "every": "30s", "aggregates": {"pm25": ["mean", "max"]}},
            "visit": {"gap": "20s", "aggregates": {"pm25": ["count", "max", "stddev"]}},
        },
        "averages": {
            "pm25_ma3": {"window": "m1", "of": "pm25_mean", "over": 3},
            "pm25_ewm": {"window": "m1", "of": "pm25_mean", "half_life": "2m"},
        },
        "alerts": {
            "high": {"field": "pm25", "above": 35, "events": 3},
            "co2_held": {"field": "co2", "above": 1000, "duration": "20s", "severity": "critical"},
            "stuck": {"kind": "rate", "field": "pm25", "below": 0, "events": 4},
            "drift": {
                "kind": "zscore",
                "window": "m1",
                "of": "pm25_mean",
                "average": "pm25_ma3",
                "above": 1.5,
            },
        },
    }
    config.update(overrides)
    return config


def write_project(folder: Path, stream: dict[str, Any] | None = None, **settings: Any) -> Path:
    """Write a project declaring stream `air` into `folder`; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "name": "streams",
        "engine": {"memory_limit": "1GB", "threads": 2},
        **settings,
        "streams": {NAME: stream or stream_config()},
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


@dataclass(frozen=True)
class Event:
    """One line a device sent, and whether the stream must accept it."""

    line: bytes
    good: bool


def readings(count: int = 400, seed: int = 7, devices: int = 3, bad_every: int = 23) -> list[Event]:
    """Return `count` lines of readings in arrival order: time mostly moves on a few seconds
    per reading, now and then a reading comes late (some within the 10 s lateness, some
    beyond), pm25 has spikes above 35 and stretches where a sensor is stuck, co2 has a
    stretch above 1000, values are sometimes missing, and every `bad_every`-th line is one
    the stream must refuse."""
    chooser = random.Random(seed)
    clock = 0.0
    stuck: dict[str, float] = {}
    events = []
    for index in range(count):
        if bad_every and index % bad_every == bad_every - 1:
            events.append(Event(_refused(chooser, index, clock), False))
            continue
        clock += chooser.choice([0.5, 1, 2, 3, 4, 7])
        moment = clock - chooser.choice([5, 15, 40]) if chooser.random() < 0.08 else clock
        device = f"d{chooser.randrange(devices)}"
        reading: dict[str, Any] = {"device_id": device, "ts": _iso(moment)}
        reading["pm25"] = _pm25(chooser, device, index, stuck)
        reading["co2"] = 1200 + index if 150 <= index < 190 else 400 + chooser.randrange(300)
        if chooser.random() < 0.7:
            reading["ok"] = chooser.random() < 0.5
        events.append(Event(json.dumps(reading).encode(), True))
    return events


def _pm25(chooser: random.Random, device: str, index: int, stuck: dict[str, float]) -> Any:
    if chooser.random() < 0.05:
        return None
    if 60 <= index < 90 or 300 <= index < 320:
        return round(36 + chooser.random() * 20, 1)
    if 200 <= index < 260 and device == "d1":
        return stuck.setdefault(device, 12.5)
    return round(chooser.random() * 30, 1)


def _refused(chooser: random.Random, index: int, clock: float) -> bytes:
    kinds = [
        b'{"device_id": "d0", "ts": ',
        b"[1, 2, 3]",
        json.dumps({"ts": _iso(clock), "pm25": 3}).encode(),
        json.dumps({"device_id": "d0", "pm25": 3}).encode(),
        json.dumps({"device_id": "d0", "ts": _iso(clock), "pm25": "lots"}).encode(),
        json.dumps({"device_id": "d0", "ts": "yesterday"}).encode(),
        json.dumps({"device_id": "d0", "ts": _iso(clock), "co2": 12.5}).encode(),
    ]
    return kinds[index % len(kinds)]


def _iso(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def lines(events: list[Event]) -> list[bytes]:
    """Return the lines of `events`."""
    return [event.line for event in events]


def log_events(lh: Lakehouse, events: list[Event]) -> None:
    """Append `events` to the stream's write-ahead log (as the HTTP intake does)."""
    Wal(wal_dir(lh, NAME)).append(lines(events))


def run_worker(lh: Lakehouse, name: str = NAME, **options: Any) -> Worker:
    """Run a worker over the stream's log until it has nothing more to read; return it."""
    worker = Worker(lh, name, LoggedIntake(lh, name), **options)
    worker.run(until_idle=True)
    return worker


def rows_of(lh: Lakehouse, table: str, order: str = "1, 2") -> list[dict[str, Any]]:
    """Return the rows of `table` (zone.name), in `order`; none if it does not exist."""
    lh.refresh()
    zone, name = table.split(".")
    if lh.catalog.load(TableRef(zone, name)) is None:
        return []
    return lh.query(f"SELECT * FROM {table} ORDER BY {order}").to_pylist()


def landed_lines(lh: Lakehouse, name: str = NAME) -> dict[str, list[bytes]]:
    """Return, per landed batch of the stream, the lines of its landed object."""
    found = {}
    for entry in lh.manifest.entries(name):
        with lh.storage.as_local_file(str(entry.landed_path)) as path:
            found[entry.batch_id] = path.read_bytes().splitlines()
    return found


class Served:
    """The app of `lakebox serve` over `lh`, on a real HTTP server in a thread."""

    def __init__(self, lh: Lakehouse) -> None:
        from lakebox.serving.app import create_app

        self.app = create_app(lh, timeout=20)
        self.port = free_port()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "no server"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def post(self, events: list[Event], name: str = NAME, as_array: bool = False) -> httpx.Response:
        """Post `events` as NDJSON (or a JSON array of the parsable ones)."""
        if as_array:
            body = b"[" + b",".join(lines(events)) + b"]"
            headers = {"Content-Type": "application/json"}
        else:
            body = b"\n".join(lines(events)) + b"\n"
            headers = {"Content-Type": "application/x-ndjson"}
        url = f"{self.url}/api/streams/{name}/events"
        return httpx.post(url, content=body, headers=headers, timeout=30)

    def stop(self) -> None:
        """Stop the server and release the stream intakes it opened."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        for intake in self.app.state.intakes.values():
            intake.close()


@contextmanager
def served(lh: Lakehouse) -> Iterator[Served]:
    """Serve `lh` over HTTP while the block runs."""
    server = Served(lh)
    try:
        yield server
    finally:
        server.stop()


class Webhook:
    """A real HTTP server on 127.0.0.1 keeping every JSON body posted to it (an alert
    channel: json://127.0.0.1:PORT/alerts)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def channel(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Wait until `condition()` holds (no timing is asserted: the limit only ends a hang)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def same_rows(
    actual: list[dict[str, Any]], expected: list[dict[str, Any]], order: tuple[str, ...]
) -> None:
    """Assert two lists of window rows are equal once sorted by `order`: the same keys and
    values, floats within 1e-9 relative (sums in another order may differ in the last bit)."""
    import pytest

    def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda row: tuple(row[column] for column in order))

    actual, expected = ordered(actual), ordered(expected)
    assert len(actual) == len(expected), (len(actual), len(expected))
    for mine, theirs in zip(actual, expected, strict=True):
        assert set(mine) == set(theirs), (sorted(mine), sorted(theirs))
        for column, value in theirs.items():
            if isinstance(value, float) and not isinstance(mine[column], bool):
                assert mine[column] == pytest.approx(value, rel=1e-9, abs=1e-12), (column, mine)
            else:
                assert mine[column] == value, (column, mine, theirs)


def listed(output: Output) -> Output:
    """Return `output` with each window's closed rows as one list of dicts (windows that
    closed none left out)."""
    rows = {
        name: [row for table in tables for row in table.to_pylist()]
        for name, tables in output.rows.items()
    }
    return dataclasses.replace(output, rows={name: found for name, found in rows.items() if found})
