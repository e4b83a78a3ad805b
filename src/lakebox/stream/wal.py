"""The write-ahead log of a stream's HTTP and MQTT intakes: events appended to segment files
and fsynced before the intake answers, so an accepted event survives a `kill -9`.

One event per line, numbered by a sequence that never restarts: a segment file is named by
its first sequence number. The worker reads from its checkpoint's sequence on and, once a
flush is checkpointed, drops the segments wholly before it. A line torn by a crash while it
was written (never acknowledged) is cut off when the writer opens the log again; a reader
never cuts anything, as the line it sees unfinished may be an append under way.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import threading
from pathlib import Path

from lakebox.errors import StreamError
from lakebox.stream.events import Record

SEGMENT_BYTES = 64 * 1024 * 1024
_EXACT_BYTES = 4 * 1024 * 1024
_READ_BYTES = 4 * 1024 * 1024
_TYPICAL_EVENT_BYTES = 150
_SUFFIX = ".log"


class Wal:
    """A stream's write-ahead log in `directory` (one partition, 0), opened by its writer
    (the intake, holding the `WriterLock`) or, `writer=False`, by a reader (the worker)."""

    def __init__(
        self, directory: Path, segment_bytes: int = SEGMENT_BYTES, writer: bool = True
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.writer = writer
        self._lock = threading.Lock()
        self._cursor: tuple[int, Path, int] | None = None  # (next seq, segment, byte offset)
        self.next_seq = self._recover()

    def segments(self) -> list[tuple[int, Path]]:
        """Return the segments, oldest first, with their first sequence number."""
        found = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            stem = path.name.removesuffix(_SUFFIX)
            if stem.isdigit():
                found.append((int(stem), path))
        return sorted(found)

    def _recover(self) -> int:
        """Cut a torn last line (the writer only); return the next sequence number."""
        segments = self.segments()
        if not segments:
            return 0
        first, path = segments[-1]
        data = path.read_bytes()
        whole = data.rfind(b"\n") + 1
        if whole != len(data) and self.writer:
            with path.open("r+b") as handle:
                handle.truncate(whole)
        return first + data[:whole].count(b"\n")

    def append(self, lines: list[bytes]) -> tuple[int, int]:
        """Append `lines` (none holding a newline) durably; return their first and last
        sequence numbers."""
        if not self.writer:
            raise StreamError(f"the log in {self.directory} was opened for reading")
        if not lines:
            return self.next_seq, self.next_seq - 1
        if any(b"\n" in line for line in lines):
            raise StreamError("an event written to the log holds a newline")
        data = b"\n".join(lines) + b"\n"
        with self._lock:
            path = self._writable(len(data))
            with path.open("ab") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            first = self.next_seq
            self.next_seq += len(lines)
        return first, self.next_seq - 1

    def _writable(self, size: int) -> Path:
        segments = self.segments()
        if segments:
            _first, path = segments[-1]
            if path.stat().st_size + size <= self.segment_bytes or path.stat().st_size == 0:
                return path
        path = self.directory / f"{self.next_seq:020d}{_SUFFIX}"
        path.touch()
        _sync_dir(self.directory)
        return path

    def read(self, from_seq: int, max_records: int) -> list[Record]:
        """Return up to `max_records` whole lines from sequence `from_seq` on."""
        records: list[Record] = []
        seq, path, position = self._start(from_seq)
        while path is not None and len(records) < max_records:
            wanted = max_records - len(records) + max(0, from_seq - seq)  # lines to skip too
            lines, used = _whole_lines(path, position, wanted)
            skip = max(0, from_seq - seq)
            records += [Record(0, seq + i, line) for i, line in enumerate(lines) if i >= skip]
            seq += len(lines)
            position += used
            self._cursor = (seq, path, position)
            following = self._following(path)
            if following is None or len(records) >= max_records or seq < following[0]:
                break
            path, position = following[1], 0
        return records

    def _start(self, from_seq: int) -> tuple[int, Path | None, int]:
        if self._cursor is not None and self._cursor[0] == from_seq and self._cursor[1].exists():
            return self._cursor
        chosen = None
        for first, path in self.segments():
            if first <= from_seq:
                chosen = (first, path, 0)
        if chosen is None:
            segments = self.segments()
            return (segments[0][0], segments[0][1], 0) if segments else (from_seq, None, 0)
        return chosen

    def _following(self, path: Path) -> tuple[int, Path] | None:
        segments = self.segments()
        names = [p for _, p in segments]
        index = names.index(path) if path in names else -1
        return segments[index + 1] if 0 <= index < len(segments) - 1 else None

    def size(self) -> int:
        """Return the bytes the log holds."""
        return sum(path.stat().st_size for _, path in self.segments())

    def unread(self, from_seq: int) -> int:
        """Return about how many events are logged from `from_seq` on (exact while the
        unread part is small; estimated from its size past a few megabytes)."""
        seq, path, position = self._start(from_seq)
        if path is None:
            return 0
        sizes, tail = 0, b""
        names = [p for _, p in self.segments()]
        for segment in names[names.index(path) if path in names else 0 :]:
            size = segment.stat().st_size - (position if segment == path else 0)
            sizes += max(0, size)
        if sizes > _EXACT_BYTES:
            return sizes // _TYPICAL_EVENT_BYTES
        with path.open("rb") as handle:
            handle.seek(position)
            tail = handle.read()
        count = tail.count(b"\n") - max(0, from_seq - seq)
        following = names[names.index(path) + 1 :] if path in names else []
        return max(0, count) + sum(segment.read_bytes().count(b"\n") for segment in following)

    def truncate(self, before_seq: int) -> None:
        """Remove the segments whose every event is before `before_seq`."""
        segments = self.segments()
        for (first, path), (following, _) in itertools.pairwise(segments):
            if following <= before_seq and first < following:
                path.unlink(missing_ok=True)


class WriterLock:
    """Only one process writes a stream's log: held from the intake's start to its close."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._handle = (directory / "writer.lock").open("w")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise StreamError(
                f"another process is taking events into {directory}",
                hint="one 'lakebox serve' (or MQTT worker) per project takes a stream's events",
            ) from None

    def release(self) -> None:
        """Let another process write the log."""
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def _whole_lines(path: Path, position: int, most: int) -> tuple[list[bytes], int]:
    """Return up to `most` whole lines of `path` from byte `position`, and their bytes."""
    lines: list[bytes] = []
    used = 0
    with path.open("rb") as handle:
        handle.seek(position)
        while len(lines) < most:
            block = handle.read(_READ_BYTES)
            if not block:
                break
            whole = block.rfind(b"\n") + 1
            if whole == 0:  # a line longer than a block, or one still being written
                if len(block) < _READ_BYTES:
                    break
                block += handle.readline()
                whole = block.rfind(b"\n") + 1
                if whole == 0:
                    break
            taken = block[:whole].split(b"\n")[:-1][: most - len(lines)]
            lines += taken
            used += sum(len(line) + 1 for line in taken)
            handle.seek(position + used)
    return lines, used


def _sync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
