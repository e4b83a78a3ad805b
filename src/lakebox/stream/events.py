"""Events as they arrive (`Record`) and as the hot path reads them: the accepted ones as an
Arrow table of the declared fields, the refused ones each with its reason.

An event is refused when it is not one JSON object, is larger than the stream allows, lacks
its key or time, or has a value that does not cast to its field's type. The same rules make
the format step quarantine the same events when it reads them from landing, so the hot and
the cold path keep the same events. Parsing takes Arrow's JSON reader over the whole
micro-batch; only a batch holding a bad event is read again event by event to find it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from lakebox.config.streams import StreamConfig

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
_INT64 = (-(2**63), 2**63 - 1)
# The times Python (hence the window rows) can hold: years 1 to 9999, in µs since 1970.
_TIMES = (-62_135_596_800_000_000, 253_402_300_799_999_999)


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
    fast = _parse_together(records, stream)
    if fast is not None:
        return fast
    return _parse_one_by_one(records, stream)


def _parse_together(records: Sequence[Record], stream: StreamConfig) -> Parsed | None:
    """Return the batch read in one pass, or None when any event needs a closer look."""
    values = [record.value for record in records]
    body = b"\n".join(values)
    if max(map(len, values)) > stream.max_event_bytes or body.count(b"\n") != len(values) - 1:
        return None
    # objects only: Arrow's reader crashes the process on a `null` opening one of its blocks
    if body[:1] != b"{" or body.count(b"\n{") != len(values) - 1:
        return None
    if not body.isascii() and not _utf8(body):
        return None  # Arrow's reader takes bytes that are not UTF-8 (and the rows then fail)
    options = pajson.ParseOptions(
        explicit_schema=schema(stream), unexpected_field_behavior="ignore"
    )
    try:
        table = pajson.read_json(io.BytesIO(body), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(records) or _missing(table, stream) or _beyond(table, stream):
        return None  # a blank event (skipped by the reader), one without key or time
    offsets = [record.offset for record in records]
    return Parsed(_finish(table.select(list(stream.fields)), offsets, stream))


def as_text(value: bytes) -> bytes:
    """Return `value` as UTF-8: bytes that are not UTF-8 become U+FFFD, as the event is
    landed (so the format step reads what the worker read)."""
    if value.isascii() or _utf8(value):
        return value
    return value.decode("utf-8", errors="replace").encode("utf-8")


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _missing(table: pa.Table, stream: StreamConfig) -> bool:
    return any(table.column(name).null_count for name in (stream.key, stream.time))


def _beyond(table: pa.Table, stream: StreamConfig) -> bool:
    """Return whether a time is outside years 1 to 9999 (Arrow reads a few such)."""
    for name, kind in stream.fields.items():
        if kind == "TIMESTAMPTZ" and table.column(name).null_count < table.num_rows:
            extremes = pc.min_max(pc.cast(table.column(name), pa.int64())).as_py()
            if extremes["min"] < _TIMES[0] or extremes["max"] > _TIMES[1]:
                return True
    return False


def _parse_one_by_one(records: Sequence[Record], stream: StreamConfig) -> Parsed:
    columns: dict[str, list[object]] = {name: [] for name in stream.fields}
    offsets: list[int] = []
    refused = []
    casts = {name: _CASTS[kind] for name, kind in stream.fields.items()}
    required = (stream.key, stream.time)
    for record in records:
        values, reason = _read_event(record.value, stream.max_event_bytes, casts, required)
        if reason is not None:
            refused.append(Refusal(record.offset, reason, _shown(record.value)))
            continue
        for name, value in values.items():
            columns[name].append(value)
        offsets.append(record.offset)
    arrays = [pa.array(columns[name], ARROW_TYPES[kind]) for name, kind in stream.fields.items()]
    table = pa.Table.from_arrays(arrays, schema=schema(stream))
    return Parsed(_finish(table, offsets, stream), refused)


def _read_event(
    value: bytes,
    limit: int,
    casts: dict[str, Callable[[object], object]],
    required: tuple[str, str],
) -> tuple[dict[str, object], str | None]:
    """Return an event's typed values, or the reason it is refused."""
    if len(value) > limit:
        return {}, f"event larger than {limit} bytes"
    value = as_text(value)
    try:
        data = _loads(value)
    except ValueError:
        return {}, "malformed JSON"
    if not isinstance(data, dict):
        return {}, "not a JSON object"
    typed = {}
    for name, cast in casts.items():
        raw = data.get(name)
        if raw is None:
            if name in required:
                return {}, f"{name}: required value is missing"
            typed[name] = None
            continue
        try:
            typed[name] = cast(raw)
        except (TypeError, ValueError, OverflowError):
            return {}, f"{name}: {_shown(orjson.dumps(raw), 80)} is not {_NAMES[cast]}"
    return typed, None


def _loads(value: bytes) -> object:
    """Return the JSON value of `value`, NaN and Infinity taken as numbers, as Arrow's
    reader (the fast path) and DuckDB's (the format step) take them."""
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        if b"NaN" not in value and b"Infinity" not in value:
            raise
    data = json.loads(value)
    try:
        orjson.dumps(data)  # text no UTF-8 can hold (a lone surrogate), as orjson.loads
    except orjson.JSONEncodeError:
        raise ValueError("not UTF-8") from None
    return data


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError("not a scalar")


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("not a number")
    return float(value)


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("not a number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("not a whole number")
    whole = int(value)
    if not _INT64[0] <= whole <= _INT64[1]:
        raise OverflowError("beyond 64 bits")
    return whole


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("not a boolean")


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("not a time")
    moment = datetime.fromisoformat(value.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_CASTS: dict[str, Callable[[object], object]] = {
    "VARCHAR": _text,
    "BIGINT": _integer,
    "INTEGER": _integer,
    "DOUBLE": _float,
    "FLOAT": _float,
    "BOOLEAN": _boolean,
    "TIMESTAMPTZ": _timestamp,
}
_NAMES = {
    _text: "a text",
    _float: "a number",
    _integer: "a whole number",
    _boolean: "true or false",
    _timestamp: "an ISO 8601 time",
}


def _shown(value: bytes, limit: int = MAX_RAW_KEPT) -> str:
    text = value.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


def _finish(table: pa.Table, offsets: list[int], stream: StreamConfig) -> pa.Table:
    """Add `_offset` and `_t` (event time as microseconds) to the declared fields."""
    micros = pc.cast(table.column(stream.time), pa.int64())
    table = table.append_column(OFFSET, pa.array(offsets, pa.int64()))
    return table.append_column(TIME, micros)
