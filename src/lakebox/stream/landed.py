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


def land(lh: Lakehouse, name: str, records: Sequence[Record]) -> str:
    """Land `records` (one partition's, in offset order) unless their batch is landed
    already; return the batch id."""
    first, last = records[0], records[-1]
    batch = batch_id(name, first.partition, first.offset, last.offset)
    if lh.manifest.get(batch) is not None:
        return batch
    data = b"".join(record.value.replace(b"\n", b" ") + b"\n" for record in records)
    received = now()
    entry = Entry(
        batch_id=batch,
        source=name,
        original_path=f"stream:{name}/p{first.partition}/{first.offset}-{last.offset}",
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        received_at=received,
        status=Status.LANDING,
        landed_path=landed_path(name, batch, "events.ndjson", received),
        rows_read=len(records),
    )
    staged = lh.temporal_dir / name / f"{batch}.ndjson"
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(data)
    lh.manifest.add(entry)
    lh.storage.put(staged, str(entry.landed_path), move=True)
    lh.manifest.update(batch, status=Status.LANDED)
    return batch


def landed_until(lh: Lakehouse, name: str, partition: int, first: int) -> int | None:
    """Return the last offset of a batch of `partition` landed from offset `first`, if a
    flush landed one that its checkpoint did not record (a crash between the two)."""
    for batch in lh.manifest.batch_ids(name, f"{name}-p{partition}-{first}-"):
        span = batch_span(name, batch)
        if span is not None and span[0] == partition and span[1] == first:
            return span[2]
    return None
