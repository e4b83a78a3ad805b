"""A flush's landing: the interval's events of one partition, as they arrived (accepted and
refused, one per line, in offset order), written to the landing zone as one object whose
batch id names the stream, partition and offsets, and recorded in the manifest as landed.
The format step then reads it like any landed NDJSON file."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from lakebox.catalog.manifest import Entry, Status
from lakebox.ground.clock import now
from lakebox.lakehouse import Lakehouse
from lakebox.landing.loader import landed_path
from lakebox.stream.events import Record
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
        with self.path.open("ab") as handle:
            handle.write(data)
        self._digest.update(data)
        self.first = records[0].offset if self.first is None else self.first
        self.last = records[-1].offset
        self.count += len(records)

    def land(self, lh: Lakehouse) -> str:
        """Land the spooled events as one object unless their batch is landed already;
        return the batch id. The spool is empty afterwards."""
        assert self.first is not None and self.last is not None
        batch = batch_id(self.name, self.partition, self.first, self.last)
        if lh.manifest.get(batch) is None:
            _land_file(lh, self, batch)
        self.path.write_bytes(b"")
        self.first, self.last, self.count = None, None, 0
        self._digest = hashlib.sha256()
        return batch


def _land_file(lh: Lakehouse, spool: Spool, batch: str) -> None:
    received = now()
    entry = Entry(
        batch_id=batch,
        source=spool.name,
        original_path=f"stream:{spool.name}/p{spool.partition}/{spool.first}-{spool.last}",
        sha256=spool._digest.hexdigest(),
        bytes=spool.path.stat().st_size,
        received_at=received,
        status=Status.LANDING,
        landed_path=landed_path(spool.name, batch, "events.ndjson", received),
        rows_read=spool.count,
    )
    lh.manifest.add(entry)
    lh.storage.put(spool.path, str(entry.landed_path))
    lh.manifest.update(batch, status=Status.LANDED)


def landed_until(lh: Lakehouse, name: str, partition: int, first: int) -> int | None:
    """Return the last offset of a batch of `partition` landed from offset `first`, if a
    flush landed one that its checkpoint did not record (a crash between the two)."""
    for batch in lh.manifest.batch_ids(name, f"{name}-p{partition}-{first}-"):
        span = batch_span(name, batch)
        if span is not None and span[0] == partition and span[1] == first:
            return span[2]
    return None
