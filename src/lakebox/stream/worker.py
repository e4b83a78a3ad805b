"""A stream's worker: takes micro-batches from its intake, processes each partition's events
in order, records alert changes at once, and every flush interval makes it all durable.

A flush of a partition, in this order: land the interval's events as one object (batch id:
stream, partition, first and last offset), commit the windows closed in the interval to the
window tables under the same batch id, checkpoint the partition's state, and only then let
the intake forget the events (log truncation, Kafka offset commit). A crash anywhere re-reads
from the last checkpoint; the same events then give the same batch (a landed batch is not
landed again, a committed one not committed again), the same rows and the same incidents
(whose ledger ignores what it holds already). A batch landed after the last checkpoint fixes
where the re-read's first flush ends, so its events are never landed twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lakebox.errors import StreamError
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.landing.loader import recover
from lakebox.stream import checkpoint, landed
from lakebox.stream.alerting import AlertQueue, Change
from lakebox.stream.events import Record
from lakebox.stream.flusher import Flusher, FlushJob, FlushReport
from lakebox.stream.intakes.base import Intake
from lakebox.stream.locks import PartitionLock
from lakebox.stream.partition import Output, PartitionState
from lakebox.stream.places import state_dir
from lakebox.stream.status import StatusWriter

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.05


@dataclass
class Pending:
    """A partition's events (spooled to disk) and results since its last flush."""

    spool: landed.Spool
    output: Output = field(default_factory=Output)


class Worker:
    """Runs one stream's hot path over the partitions its intake assigns it."""

    def __init__(
        self,
        lh: Lakehouse,
        name: str,
        intake: Intake | None = None,
        reporter: Reporter = NULL_REPORTER,
        on_output: Callable[[int, Output], None] | None = None,
        on_alerts: Callable[[list[Change]], None] | None = None,
    ) -> None:
        if name not in lh.config.streams:
            known = ", ".join(sorted(lh.config.streams)) or "none"
            raise StreamError(f"no stream named {name!r} (known: {known})")
        self.lh, self.name, self.reporter = lh, name, reporter
        self.stream = lh.config.streams[name]
        self.intake = intake
        self.on_output = on_output
        self.states: dict[int, PartitionState] = {}
        self.pending: dict[int, Pending] = {}
        self.boundary: dict[int, int] = {}
        self.flushes: list[FlushReport] = []
        self.locks: dict[int, PartitionLock] = {}
        self.status = StatusWriter(lh, name)
        self.alerts = AlertQueue(lh, on_alerts)
        self.flusher = Flusher(lh, name, self.alerts.drain)
        self._last_flush = time.monotonic()

    def assign(self, partitions: Sequence[int]) -> dict[int, int]:
        """Restore `partitions` from their checkpoints; return the offset to read next."""
        for partition in partitions:
            self.locks[partition] = PartitionLock(state_dir(self.lh, self.name), partition)
            recover(self.lh, self.name, batches=f"{self.name}-p{partition}-")
            state = checkpoint.load(self.lh, self.name, self.stream, partition)
            if state is None:
                state = PartitionState(self.name, self.stream, partition, self.lh)
            self.states[partition] = state
            self.pending[partition] = Pending(landed.Spool(self.lh, self.name, partition))
            until = landed.landed_until(self.lh, self.name, partition, state.next_offset)
            if until is not None:
                self.boundary[partition] = until
            self.reporter.message(
                f"{self.name}: partition {partition} from offset {state.next_offset}"
            )
        return {partition: self.states[partition].next_offset for partition in partitions}

    def revoke(self, partitions: Sequence[int]) -> None:
        """Flush `partitions` and forget them (another worker takes them over)."""
        self.flush([p for p in partitions if p in self.states])
        self.lose(partitions)

    def lose(self, partitions: Sequence[int]) -> None:
        """Forget `partitions` unflushed (their new owner re-reads them from the checkpoints):
        for a worker whose partitions were given away while it was not looking."""
        for partition in partitions:
            self.states.pop(partition, None)
            self.pending.pop(partition, None)
            self.boundary.pop(partition, None)
            lock = self.locks.pop(partition, None)
            if lock is not None:
                lock.release()

    def handle(self, records: Sequence[Record]) -> None:
        """Process `records` (any partitions, each in offset order)."""
        if records and records[0].partition == records[-1].partition and len(self.states) == 1:
            by_partition = {records[0].partition: list(records)}  # one partition: no sorting
        else:
            by_partition = {}
            for record in records:
                by_partition.setdefault(record.partition, []).append(record)
        for partition, chunk in by_partition.items():
            if partition not in self.states:
                logger.warning("%s: records of unassigned partition %d", self.name, partition)
                continue
            self._handle_partition(partition, chunk)

    def _handle_partition(self, partition: int, records: list[Record]) -> None:
        end = self.boundary.get(partition)
        if end is not None and records[-1].offset >= end:
            self._process(partition, [r for r in records if r.offset <= end])
            self.flush([partition])
            records = [r for r in records if r.offset > end]
        if records:
            self._process(partition, records)

    def _process(self, partition: int, records: list[Record]) -> None:
        state = self.states[partition]
        fresh = records
        if records[0].offset < state.next_offset:
            fresh = [record for record in records if record.offset >= state.next_offset]
        if not fresh:
            return
        output = state.process(fresh)
        pending = self.pending[partition]
        pending.spool.add(fresh)
        pending.output.extend(output)
        self.alerts.put([(t.incident, t.opened) for t in output.transitions])
        if self.on_output is not None:
            self.on_output(partition, output)

    def flush(self, partitions: Sequence[int] | None = None) -> list[FlushReport]:
        """Make the pending events of `partitions` (default: all) durable, in order, and
        wait until they are."""
        self.flush_soon(partitions)
        self.flusher.wait()
        return self.commit_flushed()

    def flush_soon(self, partitions: Sequence[int] | None = None) -> None:
        """Hand the pending events of `partitions` (default: all) to the flusher."""
        for partition in sorted(self.pending if partitions is None else partitions):
            pending = self.pending.get(partition)
            if pending is None or not pending.spool.count or self._short(partition, pending):
                continue
            state = self.states[partition]
            job = FlushJob(
                pending.spool.take(),
                pending.output.rows,
                checkpoint.dumps(state),
                state.next_offset,
            )
            self.pending[partition] = Pending(pending.spool)
            self.flusher.put(job)
        self._last_flush = time.monotonic()

    def commit_flushed(self) -> list[FlushReport]:
        """Tell the intake of the flushes done (it may forget their events); return them."""
        reports = []
        for job, report in self.flusher.take_finished():
            partition = report.partition
            if self.intake is not None and partition in self.states:
                self.intake.commit(partition, job.next_offset)
            if self.boundary.get(partition, -1) <= job.spooled.last:
                self.boundary.pop(partition, None)
            self.flushes.append(report)
            self.status.flushed(report.seconds)
            self.reporter.message(
                f"{self.name}: flushed {report.events} events as {report.batch_id}"
            )
            reports.append(report)
        return reports

    def _short(self, partition: int, pending: Pending) -> bool:
        """Return whether the partition's events re-read after a crash have not reached the
        end of the batch landed before it: flushed now, they would land a second time."""
        end = self.boundary.get(partition)
        return end is not None and pending.spool.last is not None and pending.spool.last < end

    def flush_due(self) -> bool:
        """Return whether the flush interval has passed since the last flush."""
        return time.monotonic() - self._last_flush >= self.stream.flush_seconds

    def run(self, stop: threading.Event | None = None, until_idle: bool = False) -> None:
        """Read, process and flush until `stop` is set (or, `until_idle`, until the intake
        has nothing more); flush what is pending before returning."""
        if self.intake is None:
            raise StreamError(f"stream {self.name!r}: the worker has no intake to read")
        stop = stop or threading.Event()
        try:
            self.intake.start(self)
            while not stop.is_set():
                records = self.intake.poll(self.stream.batch_events, POLL_SECONDS)
                if records:
                    self.handle(records)
                if self.flush_due():
                    self.flush_soon()
                self.commit_flushed()
                self.status.write(self)
                if until_idle and not records:
                    break
            self.flush()
            self.status.write(self, force=True)
        finally:
            self.intake.close()
            self.close()

    def close(self) -> None:
        """Finish the flushes handed over, record the alert changes still waiting and give
        up every partition (unflushed events are read again by the next worker)."""
        self.flusher.close()
        self.alerts.close()
        for lock in self.locks.values():
            lock.release()
        self.locks.clear()
