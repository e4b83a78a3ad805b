"""The total deadline of one HTTP pull: every request's timeout, every retry's wait and
every chunk of a body read count against it, so a source sending a byte at a time (each
read well within `timeout`) still stops at `pull_timeout`. Bytes dripping in before a body
(a status line and headers, an error page) pass no check of ours: a watchdog shuts the
pull's connections down at the deadline, so such a read ends there too."""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import httpx

from lakebox.config import SourceConfig
from lakebox.errors import PullTimedOut


class PullDeadline:
    """When the pull must be over; `check` raises `PullTimedOut` once it is."""

    def __init__(self, name: str, source: SourceConfig) -> None:
        seconds = source.pull_timeout_seconds
        self.per_read = source.timeout
        self.ends = math.inf if seconds is None else time.monotonic() + seconds
        self.key = f"sources.{name}.pull_timeout"
        self.written = str(source.pull_timeout)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def left(self) -> float:
        """Return the seconds left (infinite without a deadline)."""
        return self.ends - time.monotonic()

    def timeout(self) -> httpx.Timeout:
        """Return a request's timeout: the source's, or less when the deadline is nearer."""
        return httpx.Timeout(max(min(self.per_read, self.left()), 0.001))

    def check(self, what: str) -> None:
        """Raise `PullTimedOut` about `what` (a request) if the deadline has passed."""
        if self.left() <= 0:
            raise self.passed(what)

    def passed(self, what: str) -> PullTimedOut:
        """Return the error of a pull stopped at its deadline while doing `what`."""
        return PullTimedOut(
            f"{what}: the pull did not finish within {self.key} ({self.written})",
            hint=f"raise {self.key}, or ask why the API answers so slowly",
        )

    def sleep(self, what: str, seconds: float) -> None:
        """Wait `seconds` before a retry, unless the deadline comes first: then raise."""
        if seconds >= self.left():
            raise self.passed(what)
        time.sleep(seconds)

    @property
    def extensions(self) -> Mapping[str, Any]:
        """Return the request extensions that show the watchdog every connection opened."""
        return {"trace": self._trace}

    def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)

    @contextmanager
    def watchdog(self) -> Iterator[None]:
        """Shut the pull's connections down when the deadline passes, while inside."""
        if math.isinf(self.ends):
            yield
            return
        timer = threading.Timer(max(self.left(), 0.0), self._shut_down)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _shut_down(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with suppress(OSError):  # closed already
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked on it
