"""Alert changes of a stream, recorded and sent off the worker's path: a thread takes what
the rules opened and resolved, in order, and hands everything waiting to the alert ledger
at once (`monitoring.alerts.record_changes`, at most every `WRITE_EVERY` seconds), so a
burst costs one ledger write, not one per micro-batch. A flush waits for the queue to
empty before its checkpoint."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.alerts import record_changes
from lakebox.monitoring.incidents import Incident
from lakebox.monitoring.ledger import LedgerCache

logger = logging.getLogger(__name__)
WRITE_EVERY = 0.2  # seconds: at most five ledger writes a second, however many changes
Change = tuple[Incident, bool]


class AlertQueue:
    """Records a stream's incident changes in the background, in the order given."""

    def __init__(
        self, lh: Lakehouse, on_recorded: Callable[[list[Change]], None] | None = None
    ) -> None:
        self.lh = lh
        self.on_recorded = on_recorded
        self._queue: queue.Queue[list[Change] | None] = queue.Queue()
        self._ledger = LedgerCache()
        self._last = 0.0
        self._thread = threading.Thread(target=self._run, name="stream-alerts", daemon=True)
        self._thread.start()

    def put(self, changes: list[Change]) -> None:
        """Record `changes` soon."""
        if changes:
            self._queue.put(changes)

    def drain(self) -> None:
        """Wait until every change put so far is recorded."""
        self._queue.join()

    def close(self) -> None:
        """Record what is waiting, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            batch, taken, stopping = list(first), 1, False
            wait = self._last + WRITE_EVERY - time.monotonic()
            if wait > 0:  # a burst: gather what comes meanwhile into one ledger write
                time.sleep(wait)
            while True:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if more is None:
                    stopping = True
                    break
                batch += more
            self._record(batch)
            self._last = time.monotonic()
            for _ in range(taken):
                self._queue.task_done()
            if stopping:
                return

    def _record(self, changes: list[Change]) -> None:
        try:
            with self.lh.engine.lock:
                record_changes(self.lh, changes, cache=self._ledger)
        except Exception:  # an alert that cannot be stored must not stop the stream
            logger.exception("could not record %d alert changes", len(changes))
            return
        if self.on_recorded is not None:
            self.on_recorded(changes)
