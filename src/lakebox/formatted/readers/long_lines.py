"""Lines longer than a parser takes, found before it runs so none is lost silently.

DuckDB's CSV reader drops a record longer than its buffer (32 MiB) without a trace, and its
line numbers after it shift; an NDJSON line past `max_line_size` vanishes the same way. So a
reader finds such lines first (`find`: a memory-mapped scan that touches one page per half a
limit of ordinary lines), hands the parser a copy with each replaced by a short placeholder
line the parser refuses (`replaced`), and names the refusal for what it is (`relabel`): the
line's length, its byte offset in the file and its first bytes as the raw text.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

from lakebox.ground.sql import quote_literal

HEAD = 8192  # the bytes of a long line kept as its raw text
_PIECE = 16 * 1024 * 1024


@dataclass(frozen=True)
class LongLine:
    """A line longer than the limit: its 1-based number, byte offset, length and first bytes."""

    line: int
    offset: int
    length: int
    head: bytes


def find(path: Path, limit: int) -> list[LongLine]:
    """Return the lines of the file at `path` longer than `limit` bytes (line breaks left
    out). A line that long holds a whole window of limit/2 bytes without a line break, so
    only such windows are looked at closely."""
    size = path.stat().st_size
    if size <= limit:
        return []
    found: list[LongLine] = []
    step = max(limit // 2, 1)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        window, counted, line = 0, 0, 1
        while window < size:
            end = min(window + step, size)
            if data.find(b"\n", window, end) != -1:
                window = end
                continue
            start = data.rfind(b"\n", 0, window) + 1
            stop = data.find(b"\n", end)
            stop = size if stop == -1 else stop
            length = stop - start - (1 if data[stop - 1 : stop] == b"\r" else 0)
            if length > limit:
                line += _count_breaks(data, counted, start)
                counted = start
                found.append(LongLine(line, start, length, data[start : start + HEAD]))
            window = stop + 1
    return found


def _count_breaks(data: mmap.mmap, start: int, stop: int) -> int:
    return sum(data[at : min(at + _PIECE, stop)].count(b"\n") for at in range(start, stop, _PIECE))


def replaced(path: Path, lines: list[LongLine], placeholder: bytes, target: Path) -> Path:
    """Write a copy of `path` at `target` with each of `lines` replaced by `placeholder`."""
    with (
        path.open("rb") as handle,
        mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        target.open("wb") as out,
    ):
        position = 0
        for long_line in lines:
            _copy(data, position, long_line.offset, out)
            out.write(placeholder)
            position = long_line.offset + long_line.length
        _copy(data, position, len(data), out)
    return target


def _copy(data: mmap.mmap, start: int, stop: int, out: object) -> None:
    for at in range(start, stop, _PIECE):
        out.write(data[at : min(at + _PIECE, stop)])  # type: ignore[attr-defined]


def relabel(rejects_sql: str, lines: list[LongLine], limit: int, key: str) -> str:
    """Return `rejects_sql` (a SELECT with `_line, _column, _reason, _raw`) with the refusal
    of each long line's placeholder told as what it is. `key`: what sets the limit."""
    values = ", ".join(
        f"({long_line.line}, {quote_literal(reason(long_line, limit, key))}, "
        f"{quote_literal(long_line.head.decode('utf-8', 'replace').replace(chr(0), ''))})"
        for long_line in lines
    )
    return (
        "SELECT r.* REPLACE (CASE WHEN o._line IS NULL THEN r._column END AS _column, "
        "coalesce(o._reason, r._reason) AS _reason, coalesce(o._raw, r._raw) AS _raw) "
        f"FROM ({rejects_sql}) r LEFT JOIN (VALUES {values}) o(_line, _reason, _raw) "
        "ON r._line = o._line"
    )


def reason(long_line: LongLine, limit: int, key: str) -> str:
    """Return why a long line is refused: its length, where it starts, what _raw keeps."""
    return (
        f"a record of {long_line.length:,} bytes, too long: {key} at most {limit:,} bytes; "
        f"it starts at byte {long_line.offset:,} of the file, and _raw holds its first "
        f"{min(HEAD, long_line.length):,} bytes"
    )


def set_aside(
    path: Path, limit: int, placeholder: bytes, target: Path
) -> tuple[Path, list[LongLine]]:
    """Return the file a parser is to read: `path`, or, if it has lines longer than `limit`
    bytes, a copy at `target` with each replaced by `placeholder`; and those lines."""
    long = find(path, limit)
    return (replaced(path, long, placeholder, target), long) if long else (path, [])
