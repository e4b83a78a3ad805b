"""A flush's landing: the interval's events of one partition, as they arrived (accepted and
refused, one per line, in offset order), written to the landing zone as one object whose
batch id names the stream, partition and offsets, and recorded in the manifest as landed.
The format step then reads it like any landed NDJSON file."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lakebox.catalog.manifest import Entry, Status
from lakebox.ground.clock import now
from lakebox.lakehouse import Lakehouse
from lakebox.landing.loader import landed_path
from lakebox.stream.events import Record, as_text
from lakebox.stream.places import batch_id, batch_span


class Spool:
    """A partition's events since its last flush, written to a local file as they come
    (one per line, in offset order), so a flush interval's events never sit in memory."""

    def __init__(self, lh: Lakehouse, name: str, partition: int) -> None:
        self.name = name
        self.partition = partition
        self.path = lh.temporal_dir / f"{name}.stream" / f"p{partition}.ndjson"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(b"")
        self.first: int | None = None
        self.last: int | None = None
        self.count = 0
        self._digest = hashlib.sha256()

    def add(self, records: Sequence[Record]) -> None:
        """Append `records` (the partition's next, in offset order)."""
        if not records:
            return
        data = b"\n".join(record.value for record in records) + b"\n"
        if data.count(b"\n") != len(records):  # an event holding a newline keeps to its line
            data = b"".join(record.value.replace(b"\n", b" ") + b"\n" for record in records)
        if not data.isascii():  # bytes that are not UTF-8 land as the worker read them
            data = b"\n".join(as_text(line) for line in data.split(b"\n"))
        with self.path.open("ab") as handle:
            handle.write(data)
        self._digest.update(data)
        self.first = records[0].offset if self.first is None else self.first
        self.last = records[-1].offset
        self.count += len(records)

    def take(self) -> Spooled:
        """Hand the spooled events over for landing (their file moved aside); the spool is
        empty afterwards."""
        assert self.first is not None and self.last is not None
        taken = self.path.with_name(f"p{self.partition}-{self.first}.ndjson")
        self.path.replace(taken)
        spooled = Spooled(
            self.name,
            self.partition,
            taken,
            self.first,
            self.last,
            self.count,
            self._digest.hexdigest(),
        )
        self.path.write_bytes(b"")
        self.first, self.last, self.count = None, None, 0
        self._digest = hashlib.sha256()
        return spooled


@dataclass(frozen=True)
class Spooled:
    """A flush interval's events of one partition, in a local file, ready to land."""

    name: str
    partition: int
    path: Path
    first: int
    last: int
    count: int
    sha256: str

    @property
    def batch_id(self) -> str:
        """Return the batch id the events land under."""
        return batch_id(self.name, self.partition, self.first, self.last)

    def land(self, lh: Lakehouse) -> str:
        """Land the events as one object unless their batch is landed already; return the
        batch id (the local file is removed)."""
        batch = self.batch_id
        if lh.manifest.get(batch) is None:
            received = now()
            entry = Entry(
                batch_id=batch,
                source=self.name,
                original_path=f"stream:{self.name}/p{self.partition}/{self.first}-{self.last}",
                sha256=self.sha256,
                bytes=self.path.stat().st_size,
                received_at=received,
                status=Status.LANDING,
                landed_path=landed_path(self.name, batch, "events.ndjson", received),
                rows_read=self.count,
            )
            lh.manifest.add(entry)
            lh.storage.put(self.path, str(entry.landed_path), move=True)
            lh.manifest.update(batch, status=Status.LANDED)
        self.path.unlink(missing_ok=True)
        return batch


def landed_until(lh: Lakehouse, name: str, partition: int, first: int) -> int | None:
    """Return the last offset of a batch of `partition` landed from offset `first`, if a
    flush landed one that its checkpoint did not record (a crash between the two)."""
    for batch in lh.manifest.batch_ids(name, f"{name}-p{partition}-{first}-"):
        span = batch_span(name, batch)
        if span is not None and span[0] == partition and span[1] == first:
            return span[2]
    return None
