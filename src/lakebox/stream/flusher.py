"""Flushes made durable beside the worker: a thread takes each flush (a partition's spooled
events, the windows closed meanwhile and the state pickled at the flush's boundary) and, in
order, lands the events, commits the windows and stores the checkpoint, while the worker
goes on reading. The worker lets its intake forget the events only once their flush is done.
A flush that fails stops the worker (its events are read again from the last checkpoint)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from lakebox.lakehouse import Lakehouse
from lakebox.stream import checkpoint
from lakebox.stream.landed import Spooled
from lakebox.stream.locks import committing
from lakebox.stream.places import state_dir
from lakebox.stream.tables import commit_windows

logger = logging.getLogger(__name__)
MOST_WAITING = 2  # flushes queued before the worker waits for the oldest


@dataclass
class FlushJob:
    """One partition's flush, as the worker handed it over."""

    spooled: Spooled
    rows: dict[str, list[pa.Table]]
    state: bytes
    next_offset: int
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    seconds: float = 0.0


@dataclass
class FlushReport:
    """What one flush of one partition made durable."""

    partition: int
    batch_id: str
    events: int
    rows: dict[str, int]
    seconds: float


class Flusher:
    """Makes a stream's flushes durable, one at a time, in the order handed over."""

    def __init__(self, lh: Lakehouse, name: str, before: Callable[[], None]) -> None:
        self.lh, self.name = lh, name
        self.before = before  # run before each flush's checkpoint (the alert queue's drain)
        self.finished: list[tuple[FlushJob, FlushReport]] = []
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._queue: queue.Queue[FlushJob | None] = queue.Queue()
        self._waiting: list[FlushJob] = []
        self._thread = threading.Thread(target=self._run, name="stream-flusher", daemon=True)
        self._thread.start()

    def put(self, job: FlushJob) -> None:
        """Flush `job` soon; wait for the oldest when too many are waiting."""
        self.raise_error()
        self._waiting.append(job)
        self._queue.put(job)
        while len([j for j in self._waiting if not j.done.is_set()]) > MOST_WAITING:
            self._waiting[0].done.wait()
            self._waiting = [j for j in self._waiting if not j.done.is_set()]
        self.raise_error()

    def wait(self) -> None:
        """Wait until every flush handed over is done."""
        for job in list(self._waiting):
            job.done.wait()
        self._waiting = []
        self.raise_error()

    def take_finished(self) -> list[tuple[FlushJob, FlushReport]]:
        """Return the flushes done since the last call, in order."""
        with self._lock:
            found, self.finished = self.finished, []
        return found

    def raise_error(self) -> None:
        """Raise the error a flush failed with, if one did."""
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Stop the thread after the flushes handed over."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                if self.error is None:
                    report = self._flush(job)
                    with self._lock:
                        self.finished.append((job, report))
            except BaseException as error:  # stops the worker: it re-reads from its checkpoint
                logger.exception("%s: a flush failed", self.name)
                self.error = error
            finally:
                job.done.set()

    def _flush(self, job: FlushJob) -> FlushReport:
        self.before()
        spooled = job.spooled
        with self.lh.engine.lock, committing(state_dir(self.lh, self.name)):
            batch = spooled.land(self.lh)
            stream = self.lh.config.streams[self.name]
            for window, parts in job.rows.items():
                if parts:
                    commit_windows(self.lh, self.name, stream, window, parts, batch)
            checkpoint.store(self.lh, self.name, spooled.partition, job.state)
        rows = {w: sum(t.num_rows for t in parts) for w, parts in job.rows.items()}
        seconds = time.monotonic() - job.started
        return FlushReport(spooled.partition, batch, spooled.count, rows, seconds)
