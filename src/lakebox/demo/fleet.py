"""The demo's air-quality fleet on the hot path: its readings go to stream `air_quality`
through the HTTP intake, the door `POST /api/streams/air_quality/events` of `lakebox serve`.

- `push_backlog`: while `lakebox demo` builds, one day of readings (every 30 s) goes through
  the intake's own code (`HttpIntake.accept`, what the route calls), then the stream's worker
  reads the write-ahead log to its end: the events land, the windows close into
  `exploitation.air_quality_1m` and `_5m`, and the planted incidents open alerts.
- `LivePoster`: while `lakebox demo` serves, a thread posts each device's reading of every
  second of the demo's clock (resumed where the build left it) as NDJSON to the served intake;
  the server's stream worker takes them from there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import httpx

from lakebox.demo.generators import air_quality
from lakebox.demo.generators.air_quality import Incident
from lakebox.demo.live import read_marker
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring import ledger
from lakebox.stream.intakes.base import INTAKES
from lakebox.stream.intakes.http import HttpIntake
from lakebox.stream.rules import KIND
from lakebox.stream.tables import window_ref
from lakebox.stream.worker import Worker

logger = logging.getLogger(__name__)

STREAM = "air_quality"
BACKLOG = timedelta(days=1)
BACKLOG_STEP = timedelta(seconds=30)
EVENTS_PER_POST = 5_000
_CATCH_UP = timedelta(minutes=5)
_POST_TIMEOUT = 10.0


@dataclass
class StreamSummary:
    """What the backlog put through the stream: its events and time span, how long it took,
    the rows of each window table, the alerts its rules opened and the planted incidents."""

    name: str
    start: datetime
    end: datetime
    step_seconds: float
    events: int = 0
    refused: int = 0
    seconds: float = 0.0
    windows: dict[str, int] = field(default_factory=dict)
    alerts: list[tuple[str, str, str]] = field(default_factory=list)  # rule, device, status
    planted: list[Incident] = field(default_factory=list)


def push_backlog(
    lh: Lakehouse,
    seed: int,
    end: datetime = air_quality.DEFAULT_END,
    reporter: Reporter = NULL_REPORTER,
) -> StreamSummary:
    """Send the day of readings before `end` (the planted incidents placed around it) through
    the stream's HTTP intake and run its worker until the log is read; return what went
    through (`describe_stream` adds the windows and alerts)."""
    started = time.monotonic()
    summary = StreamSummary(STREAM, end - BACKLOG, end, BACKLOG_STEP.total_seconds())
    table = air_quality.readings(seed, summary.start, end, BACKLOG_STEP, end)
    lines = air_quality.ndjson_lines(table)
    intake = HttpIntake(lh, STREAM)
    try:
        for first in range(0, len(lines), EVENTS_PER_POST):
            reporter.progress("stream", STREAM, first, len(lines))
            answer = intake.accept(b"\n".join(lines[first : first + EVENTS_PER_POST]))
            summary.events += answer.accepted
            summary.refused += answer.refused
    finally:
        intake.close()
    Worker(lh, STREAM, INTAKES["http"](lh, STREAM), reporter).run(until_idle=True)
    summary.planted = air_quality.incidents(seed, summary.start, end, end)
    summary.seconds = time.monotonic() - started
    return summary


def describe_stream(lh: Lakehouse, summary: StreamSummary) -> StreamSummary:
    """Fill in the rows of the stream's window tables and the alerts its rules opened."""
    stream = lh.config.streams[summary.name]
    for window in stream.windows:
        ref = window_ref(summary.name, window)
        sql = f"SELECT count(*) AS n FROM {quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
        summary.windows[ref.identifier] = lh.query(sql).to_pylist()[0]["n"]
    records = ledger.load(lh).values()
    found = [item for item in records if item.kind == KIND and item.source == summary.name]
    summary.alerts = sorted((*_rule_and_key(item.incident_id), item.status) for item in found)
    return summary


def _rule_and_key(incident_id: str) -> tuple[str, str]:
    """Return the rule and key of a stream incident's id, `stream:<stream>:<rule>:<key>:p…`."""
    _, _, rule, rest = incident_id.split(":", 3)
    return rule, rest.rsplit(":", 1)[0]


@contextmanager
def live_poster(directory: Path, server_url: str, token: str | None = None) -> Iterator[LivePoster]:
    """Run the fleet's live poster of the demo project in `directory` while the block runs,
    posting to the stream's intake of the server at `server_url`, from the demo's clock on."""
    seed, resumed = read_marker(directory)
    url = f"{server_url.rstrip('/')}/api/streams/{STREAM}/events"
    with LivePoster(url, seed, resumed, token) as poster:
        yield poster


class LivePoster:
    """Posts one reading per device for every second of the demo's clock to a stream's
    HTTP intake at `url`, from `resumed` on, moving with real time, until stopped.

    A post that fails (the server not up yet, a restart) is tried again with the seconds
    since; after a long gap only the last five minutes are sent."""

    def __init__(
        self,
        url: str,
        seed: int,
        resumed: datetime,
        token: str | None = None,
        interval: float = 1.0,
    ) -> None:
        self.url, self.seed, self.interval = url, seed, interval
        self.resumed = resumed.astimezone(UTC).replace(microsecond=0)
        self.headers = {"Content-Type": "application/x-ndjson"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.posted = self.resumed  # every second before this one is sent
        self.accepted = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lakebox-demo-fleet", daemon=True)
        self._started = time.monotonic()

    def clock(self) -> datetime:
        """Return the demo's clock now: `resumed` plus the real time since the start."""
        return self.resumed + timedelta(seconds=time.monotonic() - self._started)

    def start(self) -> LivePoster:
        """Start posting in the background; return self."""
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop posting (a post under way finishes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> LivePoster:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        with httpx.Client(timeout=_POST_TIMEOUT, headers=self.headers) as client:
            while not self._stop.wait(self.interval):
                self._post_until(client, self.clock().replace(microsecond=0))

    def _post_until(self, client: httpx.Client, now: datetime) -> None:
        """Post the readings of the seconds from `posted` up to `now`, exclusive."""
        since = max(self.posted, now - _CATCH_UP)
        if since >= now:
            return
        lines = air_quality.ndjson_lines(air_quality.readings(self.seed, since, now))
        try:
            response = client.post(self.url, content=b"\n".join(lines) + b"\n")
        except httpx.HTTPError as error:
            self._failed(f"cannot reach {self.url}: {error}")
            return
        if response.status_code != 202:
            self._failed(f"{self.url} answered {response.status_code}: {response.text[:200]}")
            return
        self.accepted += int(response.json().get("accepted", 0))
        self.posted = now

    def _failed(self, message: str) -> None:
        self.failures += 1
        level = logging.DEBUG if self.failures < 5 else logging.WARNING
        logger.log(level, "demo fleet: %s (will try again)", message)
