"""The HTTP intake, embedded in `lakebox serve`: `POST /api/streams/{name}/events` takes NDJSON
or a JSON array, writes every event to the stream's write-ahead log (fsynced) and only then
answers 202 with how many were accepted and refused (and why). Refused events are logged
too, so they land and the format step quarantines them with their reasons; the worker reads
the log (`LoggedIntake`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.stream.events import Record, parse
from lakebox.stream.intakes.base import register
from lakebox.stream.intakes.logged import LoggedIntake
from lakebox.stream.places import state_dir, wal_dir
from lakebox.stream.wal import Wal, WriterLock

MAX_REASONS = 100


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
