"""PostgreSQL's text format: Arrow columns encoded a batch at a time, one cell per value."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.serving.pgwire.types import is_scalar_list

LARGE = pa.large_binary()
# DuckDB's infinite dates and timestamps (their storage values)
DATE_INFINITY, TIMESTAMP_INFINITY = (1 << 31) - 1, (1 << 63) - 1
# the days Arrow prints itself: 0001-01-01 to 9999-12-31 (Unix days)
_ARROW_DAYS = (-719_162, 2_932_896)
_UNIT_MICROS = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": 0.001}


def text_cells(column: pa.Array) -> pa.Array:
    """Return each value of `column` in PostgreSQL's text format (large_binary, nulls kept)."""
    kind = column.type
    if pa.types.is_boolean(kind):
        return pc.if_else(column, b"t", b"f").cast(LARGE)
    if pa.types.is_floating(kind):
        return _float_text(column)
    if pa.types.is_timestamp(kind):
        return _timestamp_text(column)
    if pa.types.is_date(kind):
        return _date_text(column)
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        return column.cast(pa.large_string()).view(LARGE)
    if pa.types.is_large_string(kind):
        return column.view(LARGE)
    if pa.types.is_string(kind):
        return column.cast(LARGE)
    if pa.types.is_time(kind):
        return column.cast(pa.string()).cast(LARGE)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return bytea_text(column.cast(LARGE))
    if is_scalar_list(kind):
        return python_cells(column, array_text)
    if pa.types.is_map(kind):
        pairs = column.to_pylist()
        maps = [None if items is None else dict(items) for items in pairs]
        return pa.array([None if m is None else _text_of(m) for m in maps], LARGE)
    return python_cells(column, _text_of)


def _timestamp_text(column: pa.Array) -> pa.Array:
    kind = column.type
    raw = column.cast(pa.int64())
    per_second = int(1_000_000 / _UNIT_MICROS[kind.unit])
    fraction = pc.fill_null(pc.not_equal(_remainder(raw, per_second), 0), False)
    fractions = per_second > 1 and pc.any(fraction).as_py()
    unit = ("us" if kind.unit == "ns" else kind.unit) if fractions else "s"  # 6 digits at most
    days = pc.divide(raw, per_second * 86_400)  # toward zero
    odd = _outside(days, (_ARROW_DAYS[0] + 1, _ARROW_DAYS[1] - 1))
    odd = pc.or_(odd, pc.fill_null(pc.equal(pc.abs(raw), TIMESTAMP_INFINITY), False))
    text = pc.cast(
        pc.if_else(odd, pa.scalar(None, column.type), column), pa.timestamp(unit), safe=False
    )
    text = text.cast(pa.string())
    if fractions:  # PostgreSQL prints a fraction of a second only when there is one
        trimmed = pc.replace_substring_regex(text.filter(fraction), r"0{1,5}$", "")
        whole = pc.replace_substring_regex(text, r"\.0{6}$", "")
        text = pc.replace_with_mask(whole, fraction, trimmed)
    if pc.any(odd).as_py():
        micros = _UNIT_MICROS[kind.unit]
        special = [_odd_timestamp(value, micros) for value in raw.to_pylist()]
        text = pc.if_else(odd, pa.array(special, pa.string()), text)
    if kind.tz:  # DuckDB hands timestamptz over in UTC
        infinite = pc.fill_null(pc.ends_with(text, "infinity"), False)
        text = pc.if_else(infinite, text, pc.binary_join_element_wise(text, "+00", ""))
    return text.cast(LARGE)


def _remainder(values: pa.Array, divisor: int) -> pa.Array:
    """Return `values` modulo `divisor` (the sign of the dividend's, as C's %)."""
    return pc.subtract(values, pc.multiply(pc.divide(values, divisor), divisor))


def _date_text(column: pa.Array) -> pa.Array:
    days = column.cast(pa.date32()).cast(pa.int32())
    odd = _outside(days, _ARROW_DAYS)
    if not pc.any(odd).as_py():
        return column.cast(pa.string()).cast(LARGE)
    text = pc.if_else(odd, pa.scalar(None, column.type), column).cast(pa.string())
    special = [None if day is None else _odd_date(day) for day in days.to_pylist()]
    return pc.if_else(odd, pa.array(special, pa.string()), text).cast(LARGE)


def _outside(values: pa.Array, bounds: tuple[int, int]) -> pa.Array:
    low, high = bounds
    return pc.fill_null(pc.or_(pc.less(values, low), pc.greater(values, high)), False)


def _odd_date(days: int) -> str:
    """Return a date Arrow cannot print (infinite, before year 1, after 9999) as PostgreSQL
    does: infinity, -infinity, 294246-12-31, 0044-03-15 BC."""
    if abs(days) == DATE_INFINITY:
        return "infinity" if days > 0 else "-infinity"
    year, month, day = _civil(days)
    if year <= 0:
        return f"{1 - year:04d}-{month:02d}-{day:02d} BC"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _odd_timestamp(value: int | None, micros_per_unit: float) -> str | None:
    if value is None:
        return None
    if abs(value) == TIMESTAMP_INFINITY:
        return "infinity" if value > 0 else "-infinity"
    micros = int(value * micros_per_unit)
    days, rest = divmod(micros, 86_400_000_000)
    clock = (dt.datetime.min + dt.timedelta(microseconds=rest)).time().isoformat()
    date = _odd_date(days)
    return f"{date.removesuffix(' BC')} {clock}" + (" BC" if date.endswith(" BC") else "")


def _civil(days: int) -> tuple[int, int, int]:
    """Return the proleptic Gregorian (year, month, day) of a count of Unix days (year 0 is
    1 BC), for any year (H. Hinnant's civil_from_days)."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted + 2) // 5 + 1
    month = shifted + 3 if shifted < 10 else shifted - 9
    return year_of_era + era * 400 + (month <= 2), month, day


_HEX = np.frombuffer(b"".join(f"{byte:02x}".encode() for byte in range(256)), np.uint8)


def bytea_text(column: pa.Array) -> pa.Array:
    """Return bytes in PostgreSQL's hex format (\\x0102ff), built from Arrow's buffers."""
    count = len(column)
    if column.null_count and column.offset:  # a validity bitmap that starts mid-byte
        column = pc.take(column, pa.array(np.arange(count)))
    offsets = np.frombuffer(column.buffers()[1], np.int64)[
        column.offset : column.offset + count + 1
    ]
    data = np.frombuffer(column.buffers()[2] or b"", np.uint8)[offsets[0] : offsets[-1]]
    digits = _HEX.reshape(256, 2)[data].reshape(-1)
    starts = np.repeat(2 * (offsets[:-1] - offsets[0]), 2)
    text = np.insert(digits, starts, np.tile(np.frombuffer(b"\\x", np.uint8), count))
    shifted = 2 * (offsets - offsets[0]) + 2 * np.arange(count + 1)
    validity = column.buffers()[0] if column.null_count else None
    buffers = [validity, pa.py_buffer(shifted), pa.py_buffer(text)]
    return pa.Array.from_buffers(LARGE, count, buffers, column.null_count)


def _float_text(column: pa.Array) -> pa.Array:
    text = column.cast(pa.string())
    if pc.any(pc.invert(pc.is_finite(column))).as_py():
        for arrow_word, pg_word in (("inf", "Infinity"), ("-inf", "-Infinity"), ("nan", "NaN")):
            text = pc.replace_substring_regex(text, f"^{arrow_word}$", pg_word)
    return text.cast(LARGE)


def _text_of(value: object) -> bytes:
    if isinstance(value, bytes):
        return b"\\x" + value.hex().encode()
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, dt.timedelta):
        return _interval_text(value).encode()
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, separators=(",", ":")).encode()
    if isinstance(value, tuple) and len(value) == 3:  # month_day_nano
        months, days, nanos = value
        clock = _interval_text(dt.timedelta(microseconds=nanos // 1000))
        return f"{months} mons {days} days {clock}".encode()
    return str(value).encode()


def array_text(values: object) -> bytes:
    """Return a list in PostgreSQL's array text format: {1,2,NULL,"a b"}."""
    assert isinstance(values, list)
    return b"{" + b",".join(_array_element(value) for value in values) + b"}"


_ARRAY_SPECIAL = frozenset(b'{}," \\\t\n')


def _array_element(value: object) -> bytes:
    if value is None:
        return b"NULL"
    text = _text_of(value)
    if text and text.upper() != b"NULL" and not _ARRAY_SPECIAL.intersection(text):
        return text
    return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _interval_text(value: dt.timedelta) -> str:
    seconds = value.total_seconds()
    sign = "-" if seconds < 0 else ""
    minutes, rest = divmod(abs(seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{rest:09.6f}"


def python_cells(column: pa.Array, encode: Callable[[object], bytes]) -> pa.Array:
    values = [None if value is None else encode(value) for value in column.to_pylist()]
    return pa.array(values, LARGE)
