"""Events as they arrive (`Record`) and as the hot path reads them: the accepted ones as an
Arrow table of the declared fields, the refused ones each with its reason.

The hot path accepts and refuses exactly the events the format step keeps and quarantines when
it reads the stream's landed events, and reads them to the same values: the live window tables
then equal a replay's. Arrow's JSON reader takes a whole micro-batch in one pass when every
event is strict JSON whose values it reads as the format step does (numbers as numbers, times
in the ISO 8601 shapes both read alike, text without padding or NUL bytes); any other batch is
read event by event by the format step's own rules (`stream.values`). An event larger than the
stream allows is refused first, on the hot path alone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from lakebox.config.streams import StreamConfig
from lakebox.stream import values

OFFSET = "_offset"
TIME = "_t"  # event time in microseconds since the epoch, UTC
_TIMESTAMP = pa.timestamp("us", tz="UTC")
ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int64(),
    "DOUBLE": pa.float64(),
    "FLOAT": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMPTZ": _TIMESTAMP,
}
MAX_RAW_KEPT = 2000  # characters of a refused event's text kept with its reason
# The times Python (hence the window rows) can hold: years 1 to 9999, in µs since 1970.
_TIMES = (-62_135_596_800_000_000, 253_402_300_799_999_999)
_FLOAT32 = (float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max))
# ISO 8601 times Arrow's reader and the format step read alike: a date, a time to the minute
# without offset, or to the second (at most 6 decimals) with or without one. The format step
# refuses an hour alone and a time to the minute with an offset ('10Z', '10:00Z'), which Arrow
# takes.
_SAME_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}"
    r"(:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?)?$"
)
_ZONED = r":[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_TRIMMED = " \t\r\n\u00a0"  # what the format step's strip_whitespace trims from text


class Record(NamedTuple):
    """One event as an intake delivered it: its partition, offset and bytes (a tuple:
    made by the hundred thousand a second)."""

    partition: int
    offset: int
    value: bytes


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused event: where it was and why."""

    offset: int
    reason: str
    raw: str


@dataclass
class Parsed:
    """A micro-batch read: accepted events (declared fields, `_offset`, `_t`) and refusals."""

    events: pa.Table
    refused: list[Refusal] = field(default_factory=list)


def schema(stream: StreamConfig) -> pa.Schema:
    """Return the Arrow schema of a stream's declared fields."""
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in stream.fields.items()])


def parse(records: Sequence[Record], stream: StreamConfig) -> Parsed:
    """Return the accepted events of `records` (in their order) and the refused ones."""
    if not records:
        return Parsed(_finish(pa.Table.from_pylist([], schema(stream)), [], stream))
    fast = parse_at_once(records, stream)
    if fast is not None:
        return fast
    return _parse_one_by_one(records, stream)


def parse_at_once(records: Sequence[Record], stream: StreamConfig) -> Parsed | None:
    """Return the batch read in one pass by Arrow's reader (the fast path), or None when any
    event needs a closer look."""
    lines = [record.value for record in records]
    body = b"\n".join(lines)
    if max(map(len, lines)) > stream.max_event_bytes or body.count(b"\n") != len(lines) - 1:
        return None
    # objects only: Arrow's reader crashes the process on a `null` opening one of its blocks
    if body[:1] != b"{" or body.count(b"\n{") != len(lines) - 1 or not _utf8(body):
        return None
    if _ODD_NUMBER.search(body):  # maybe a number the format step refuses (json_numbers)
        return None
    try:
        table = pajson.read_json(io.BytesIO(body), parse_options=_options(stream))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(records) or _missing(table, stream):
        return None  # a blank event (skipped by the reader), one without key or time
    typed = _as_formatted(table.select(list(stream.fields)), stream)
    if typed is None:
        return None
    return Parsed(_finish(typed, [record.offset for record in records], stream))


# a NaN or infinity literal, an exponent of three digits or a very long number: read event by
# event, where a number a DOUBLE cannot hold as written is refused as the format step refuses
# it (a short exponent, common in ids, cannot reach past a DOUBLE's range)
_ODD_NUMBER = re.compile(
    rb"[0-9][eE][+-]?[0-9]{3}|[0-9]{300}|[:,\[]\s*-?(?:nan|inf)", re.IGNORECASE
)


def _utf8(body: bytes) -> bool:
    """Return whether `body` is UTF-8 (Arrow's reader takes other bytes into its text)."""
    try:
        pa.array([body], pa.binary()).cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _options(stream: StreamConfig) -> pajson.ParseOptions:
    """Return the reader's options: the declared fields, times read as text (checked and
    converted by `_times`)."""
    fields = [
        (name, pa.string() if kind == "TIMESTAMPTZ" else ARROW_TYPES[kind])
        for name, kind in stream.fields.items()
    ]
    return pajson.ParseOptions(
        explicit_schema=pa.schema(fields), unexpected_field_behavior="ignore"
    )


def as_text(value: bytes) -> bytes:
    """Return `value` as UTF-8: bytes that are not UTF-8 become U+FFFD, as the event is
    landed (so the format step reads what the worker read)."""
    if value.isascii() or _utf8(value):
        return value
    return value.decode("utf-8", errors="replace").encode("utf-8")


def _missing(table: pa.Table, stream: StreamConfig) -> bool:
    return any(table.column(name).null_count for name in (stream.key, stream.time))


def _as_formatted(table: pa.Table, stream: StreamConfig) -> pa.Table | None:
    """Return Arrow's reading with each value as the format step reads it, or None when
    some value may read otherwise there."""
    columns = []
    for name, kind in stream.fields.items():
        column = _AS_FORMATTED.get(kind, _same)(table.column(name))
        if column is None:
            return None
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema(stream))


def _same(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Text trimmed as the format step trims it; one holding a NUL byte it refuses."""
    if pc.any(pc.match_substring(column, "\x00")).as_py():
        return None
    return pc.utf8_trim(column, _TRIMMED)


def _times(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Times of the shapes both paths read alike, UTC when without offset, in years 1 to
    9999 (Arrow reads year 0, and a year 9999 time that an offset takes to 10000)."""
    if not (
        _seconds_in_utc(column) or pc.all(pc.match_substring_regex(column, _SAME_TIME)).as_py()
    ):
        return None
    try:
        times = _utc(column)
    except pa.ArrowInvalid:  # a month 13, a February 30
        return None
    if times.null_count < len(times):
        extremes = pc.min_max(pc.cast(times, pa.int64())).as_py()
        if extremes["min"] < _TIMES[0] or extremes["max"] > _TIMES[1]:
            return None
    return times


def _seconds_in_utc(column: pa.ChunkedArray) -> bool:
    """Return whether every time ends in Z and has at least 20 characters: a time to the
    second (2024-01-01T10:00:00Z) once Arrow reads it, the usual shape, told apart without
    the cost of `_SAME_TIME`."""
    lengths = pc.min(pc.binary_length(column)).as_py()
    return lengths is not None and lengths >= 20 and pc.all(pc.ends_with(column, "Z")).as_py()


def _utc(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return times as UTC instants, those without an offset taken as UTC."""
    if pc.all(pc.ends_with(column, "Z")).as_py():  # the usual, and cheaper than _ZONED
        return pc.cast(column, _TIMESTAMP)
    zoned = pc.match_substring_regex(column, _ZONED)
    if pc.all(zoned).as_py():
        return pc.cast(column, _TIMESTAMP)
    local = pc.cast(pc.if_else(zoned, "1970-01-01", column), pa.timestamp("us"))
    if not pc.any(zoned).as_py():
        return pc.cast(local, _TIMESTAMP)
    offset = pc.cast(pc.if_else(zoned, column, "1970-01-01T00:00:00Z"), _TIMESTAMP)
    return pc.if_else(zoned, offset, pc.cast(local, _TIMESTAMP))


def _float32(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Numbers rounded to a FLOAT, as the format step stores them; None when a value is
    beyond a FLOAT's normal range or halfway between two FLOATs (the format step rounds its
    decimal text, which may fall either side)."""
    numbers = column.to_numpy()
    sizes = np.abs(numbers[np.isfinite(numbers) & (numbers != 0)])
    if sizes.size and (sizes.min() < _FLOAT32[0] or sizes.max() > _FLOAT32[1]):
        return None
    if np.any((numbers.view(np.int64) & 0x1FFFFFFF) == 0x10000000):
        return None
    return pc.cast(pc.cast(column, pa.float32()), pa.float64())


_AS_FORMATTED = {
    "VARCHAR": _text,
    "TIMESTAMPTZ": _times,
    "FLOAT": _float32,
}


def _parse_one_by_one(records: Sequence[Record], stream: StreamConfig) -> Parsed:
    """Return the batch read event by event by the format step's rules."""
    texts, places, reasons = _landed_texts(records, stream.max_event_bytes)
    read = values.read(texts, stream)
    for index, failure in read.failures.items():
        reasons[places[index]] = _reason(failure, stream)
    refused = [
        Refusal(records[place].offset, reason, _shown(records[place].value))
        for place, reason in sorted(reasons.items())
    ]
    kept = read.events.column(values.INDEX).to_pylist()
    offsets = [records[places[index]].offset for index in kept]
    typed = read.events.select(list(stream.fields)).cast(schema(stream))
    return Parsed(_finish(typed, offsets, stream), refused)


def _landed_texts(
    records: Sequence[Record], limit: int
) -> tuple[pa.Array, list[int], dict[int, str]]:
    """Return the texts of the events as they land (a line break becomes a space: one event,
    one line; bytes that are not UTF-8 become U+FFFD) with their places in `records`, and
    the reasons of those refused unread: too large."""
    reasons: dict[int, str] = {}
    lines, places = [], []
    for place, record in enumerate(records):
        if len(record.value) > limit:
            reasons[place] = f"event larger than {limit} bytes"
        else:
            lines.append(as_text(record.value).replace(b"\n", b" "))
            places.append(place)
    return pa.array(lines, pa.binary()).cast(pa.string()), places, reasons


_NAMES = {
    "VARCHAR": "a text",
    "BIGINT": "a whole number",
    "INTEGER": "a whole number",
    "DOUBLE": "a number",
    "FLOAT": "a number",
    "BOOLEAN": "true or false",
    "TIMESTAMPTZ": "a time",
}


def _reason(failure: values.Failure, stream: StreamConfig) -> str:
    """Return the words a refusal gives for `failure`."""
    if failure.kind == "number":
        return failure.shown
    if failure.field is None:
        return "not a JSON object" if failure.kind == "not_object" else "malformed JSON"
    if failure.kind == "missing":
        return f"{failure.field}: required value is missing"
    shown = _shown(failure.shown.encode(), 80)
    said = {
        "nul": "holds a NUL byte",
        "ambiguous": "is ambiguous: its comma may separate thousands or decimals",
        "range": "is outside years 1 to 9999",
    }.get(failure.kind, f"is not {_NAMES[stream.fields[failure.field]]}")
    return f"{failure.field}: {shown} {said}"


def _shown(value: bytes, limit: int = MAX_RAW_KEPT) -> str:
    text = value.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


def _finish(table: pa.Table, offsets: list[int], stream: StreamConfig) -> pa.Table:
    """Add `_offset` and `_t` (event time as microseconds) to the declared fields."""
    micros = pc.cast(table.column(stream.time), pa.int64())
    table = table.append_column(OFFSET, pa.array(offsets, pa.int64()))
    return table.append_column(TIME, micros)
