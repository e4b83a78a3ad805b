"""The gate of users' queries on one Lakehouse: at most `serve.max_concurrent_queries` run
at once, at most `serve.max_queued_queries` more wait a bounded time, and the rest are
answered "busy" at once."""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable

from lakebox.errors import QueryError
from lakebox.lakehouse import Lakehouse

_SLOTS: weakref.WeakKeyDictionary[Lakehouse, Slots] = weakref.WeakKeyDictionary()
_SLOTS_LOCK = threading.Lock()


def query_slots(lh: Lakehouse) -> Slots:
    """Return the one gate of users' queries on `lh`, sized by its `serve:` config."""
    with _SLOTS_LOCK:
        slots = _SLOTS.get(lh)
        if slots is None:
            serve = lh.config.serve
            slots = _SLOTS[lh] = Slots(
                serve.max_concurrent_queries, serve.max_queued_queries, serve.queue_timeout
            )
        return slots


class Slots:
    """At most `running` queries at once; beyond them at most `queued` wait, each at most
    `wait` seconds; anything more is answered "busy" at once."""

    def __init__(self, running: int, queued: int, wait: float) -> None:
        self.limit = running
        self.queued = queued
        self.wait = wait
        self.running = 0
        self.waiting = 0
        self._condition = threading.Condition()

    def acquire(self) -> Callable[[], None]:
        """Take a slot (waiting for one if need be) and return the function giving it back
        (calling it more than once is harmless); raise QueryError "busy" if none comes."""
        with self._condition:
            if self.running >= self.limit:
                if self.waiting >= self.queued:
                    raise self._busy(f"{self.waiting} more are waiting")
                self.waiting += 1
                try:
                    free = self._condition.wait_for(lambda: self.running < self.limit, self.wait)
                finally:
                    self.waiting -= 1
                if not free:
                    raise self._busy(f"none ended within {self.wait:g} s")
            self.running += 1
        released = threading.Event()

        def release() -> None:
            with self._condition:
                if not released.is_set():
                    released.set()
                    self.running -= 1
                    self._condition.notify()

        return release

    def _busy(self, why: str) -> QueryError:
        return QueryError(
            f"the server is busy: {self.running} queries are running and {why}",
            hint="retry in a few seconds (serve.max_concurrent_queries bounds how many run)",
            sqlstate="53300",
            status=503,
            retry_after=max(1, math.ceil(self.wait)),
        )
