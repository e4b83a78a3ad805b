"""The intake side of the write-ahead log, shared by the HTTP and MQTT intakes: the worker
reads partition 0 from the log, and a checkpointed flush drops the segments before it."""

from __future__ import annotations

import time

from lakebox.lakehouse import Lakehouse
from lakebox.stream.events import Record
from lakebox.stream.intakes.base import Assignee
from lakebox.stream.places import wal_dir
from lakebox.stream.wal import Wal

PARTITION = 0
_IDLE_SLEEP = 0.02


class LoggedIntake:
    """Reads a stream's write-ahead log as its one partition."""

    def __init__(self, lh: Lakehouse, name: str) -> None:
        self.wal = Wal(wal_dir(lh, name), writer=False)
        self.position = 0

    def start(self, assignee: Assignee) -> None:
        """Take partition 0 from the offset the worker's checkpoint gives."""
        self.position = assignee.assign([PARTITION])[PARTITION]

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Return the next lines of the log, waiting up to `timeout` for some."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.wal.read(self.position, max_records)
            if records:
                self.position = records[-1].offset + 1
                return records
            if time.monotonic() >= deadline:
                return []
            time.sleep(_IDLE_SLEEP)

    def commit(self, partition: int, next_offset: int) -> None:
        """Drop the log's segments before `next_offset`."""
        self.wal.truncate(next_offset)

    def lag(self) -> dict[int, int]:
        """Return how many logged events wait to be read."""
        return {PARTITION: self.wal.unread(self.position)}

    def close(self) -> None:
        """Nothing to release."""
