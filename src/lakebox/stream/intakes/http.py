"""The HTTP intake, embedded in `lakebox serve`: `POST /api/streams/{name}/events` takes NDJSON
or a JSON array, writes every event to the stream's write-ahead log (fsynced) and only then
answers 202 with how many were accepted and refused (and why). Refused events are logged
too, so they land and the format step quarantines them with their reasons; the worker reads
the log (`LoggedIntake`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson

from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.stream.events import Record, parse
from lakebox.stream.intakes.base import register
from lakebox.stream.intakes.logged import LoggedIntake
from lakebox.stream.places import state_dir, wal_dir
from lakebox.stream.wal import Wal, WriterLock

MAX_REASONS = 100
MAX_ARRAY_FILE = 64 << 20  # a JSON array is read whole; NDJSON files in chunks


@dataclass
class Accepted:
    """The answer to one request: counts, the first refusals' reasons, the log's sequence."""

    accepted: int
    refused: int
    errors: list[dict[str, object]] = field(default_factory=list)
    first_sequence: int | None = None
    last_sequence: int | None = None


@register("http")
def reader(lh: Lakehouse, name: str) -> LoggedIntake:
    """Return the worker's side of an HTTP stream: its write-ahead log."""
    return LoggedIntake(lh, name)


class HttpIntake:
    """Takes a stream's events from request bodies into its write-ahead log; one process at
    a time (the log's writer lock)."""

    def __init__(self, lh: Lakehouse, name: str) -> None:
        stream = lh.config.streams.get(name)
        if stream is None:
            raise StreamError(f"no stream named {name!r}", status=404)
        if stream.intake.kind != "http":
            raise StreamError(
                f"stream {name!r} takes its events from {stream.intake.kind}, not over HTTP",
                status=409,
            )
        self.name, self.stream = name, stream
        self.lock = WriterLock(state_dir(lh, name))
        self.wal = Wal(wal_dir(lh, name))

    def accept(self, body: bytes) -> Accepted:
        """Log the events of `body` (NDJSON, or a JSON array); return the counts."""
        if self.wal.size() > self.stream.intake.backlog_bytes:
            raise StreamError(
                f"stream {self.name!r} has {self.stream.intake.max_backlog} of events waiting "
                "for its worker; try again shortly",
                hint="check that its worker runs: lakebox stream status",
                status=503,
                retry_after=5,
            )
        lines = split_body(body)
        records = [Record(0, index, line) for index, line in enumerate(lines)]
        refused = parse(records, self.stream).refused
        first, last = self.wal.append(lines)
        errors = [{"index": r.offset, "reason": r.reason} for r in refused[:MAX_REASONS]]
        return Accepted(len(lines) - len(refused), len(refused), errors, first, last)

    def close(self) -> None:
        """Let another process take the stream's events."""
        self.lock.release()


def split_body(body: bytes) -> list[bytes]:
    """Return the events of a request body, one line each: a JSON array's items re-written
    compactly, else the body's non-blank lines (NDJSON)."""
    text = body.strip()
    if text.startswith(b"["):
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise StreamError(f"the body is not a JSON array: {error}") from None
        return [orjson.dumps(item) for item in items]
    return [line.rstrip(b"\r") for line in text.split(b"\n") if line.strip()]


def read_events_file(intake: HttpIntake, path: Path, chunk_bytes: int = 1 << 20) -> Accepted:
    """Send the events of a file (NDJSON read in chunks of whole lines, or one JSON array)
    through `intake`; return the summed counts (refusal indexes count from the file's
    first event)."""
    total = Accepted(0, 0)
    with path.open("rb") as handle:
        if handle.read(64).lstrip().startswith(b"["):
            if path.stat().st_size > MAX_ARRAY_FILE:
                raise StreamError(
                    f"{path}: a JSON array file larger than {MAX_ARRAY_FILE >> 20} MiB",
                    hint="write the events as NDJSON (one object per line): it is read in chunks",
                )
            handle.seek(0)
            return intake.accept(handle.read())
        handle.seek(0)
        rest = b""
        while chunk := handle.read(chunk_bytes):
            whole, _, rest = (rest + chunk).rpartition(b"\n")
            _add(total, intake.accept(whole) if whole.strip() else Accepted(0, 0))
        if rest.strip():
            _add(total, intake.accept(rest))
    return total


def _add(total: Accepted, part: Accepted) -> None:
    seen = total.accepted + total.refused
    for error in part.errors:
        if len(total.errors) < MAX_REASONS:
            total.errors.append({**error, "index": seen + int(str(error["index"]))})
    total.accepted += part.accepted
    total.refused += part.refused
    total.first_sequence = (
        total.first_sequence if total.first_sequence is not None else part.first_sequence
    )
    total.last_sequence = (
        part.last_sequence if part.last_sequence is not None else total.last_sequence
    )
