"""The total deadline of one HTTP pull: every request's timeout, every retry's wait and
every chunk of a body read count against it, so a source sending a byte at a time (each
read well within `timeout`) still stops at `pull_timeout`."""

from __future__ import annotations

import math
import time

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
