"""PostgreSQL's binary format: Arrow columns encoded a batch at a time, and parameters a
client sent in binary decoded."""

from __future__ import annotations

import datetime as dt
import decimal
import struct
import uuid
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.errors import QueryError
from lakebox.serving.pgwire.text_format import (
    DATE_INFINITY,
    LARGE,
    TIMESTAMP_INFINITY,
    python_cells,
    text_cells,
)
from lakebox.serving.pgwire.types import (
    BOOL,
    BYTEA,
    DATE,
    FLOAT4,
    FLOAT8,
    INT2,
    INT4,
    INT8,
    NUMERIC,
    OID,
    TEXT,
    TIMESTAMP,
    TIMESTAMPTZ,
    UUID,
)

# PostgreSQL's epoch (2000-01-01) in Unix days and microseconds.
PG_EPOCH_DAYS = 10_957
PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400_000_000
# PostgreSQL's infinite dates and timestamps in binary
_PG_DATE_INFINITIES = ((1 << 31) - 1, -(1 << 31))
_PG_TIMESTAMP_INFINITIES = ((1 << 63) - 1, -(1 << 63))


class ValueOutOfRange(QueryError):
    """A value has no form in PostgreSQL's wire format (SQLSTATE 22008)."""


_NUMPY_BINARY = {INT2: ">i2", INT4: ">i4", INT8: ">i8", FLOAT4: ">f4", FLOAT8: ">f8"}
_STRUCT = {INT2: "!h", INT4: "!i", INT8: "!q", FLOAT4: "!f", FLOAT8: "!d"}
BINARY_OIDS = frozenset({*_NUMPY_BINARY, BOOL, TEXT, BYTEA, DATE, TIMESTAMP, TIMESTAMPTZ, NUMERIC})


def binary_cells(column: pa.Array, oid: int) -> pa.Array:
    """Return each value of `column` in PostgreSQL's binary format for type `oid`."""
    if oid in _NUMPY_BINARY:
        return _fixed(column, column.cast(_arrow_of(oid)), _NUMPY_BINARY[oid])
    if oid == BOOL:
        return _fixed(column, column.cast(pa.uint8()), ">u1")
    if oid == DATE:
        days = column.cast(pa.date32()).cast(pa.int32())
        shifted = _shifted(days, PG_EPOCH_DAYS, DATE_INFINITY, _PG_DATE_INFINITIES, "date")
        return _fixed(column, shifted, ">i4")
    if oid in (TIMESTAMP, TIMESTAMPTZ):
        raw = column.cast(pa.int64())
        infinite = pc.fill_null(pc.equal(pc.abs(raw), TIMESTAMP_INFINITY), False)
        finite = pc.if_else(infinite, pa.scalar(None, column.type), column)
        target = pa.timestamp("us", column.type.tz)
        safe = column.type.unit != "ns"  # nanoseconds are cut to microseconds, as in text
        micros = _checked(lambda: pc.cast(finite, target, safe=safe), "timestamp")
        shifted = _shifted(
            pc.if_else(infinite, raw, micros.cast(pa.int64())),
            PG_EPOCH_MICROS,
            TIMESTAMP_INFINITY,
            _PG_TIMESTAMP_INFINITIES,
            "timestamp",
        )
        return _fixed(column, shifted, ">i8")
    if oid == NUMERIC:
        return python_cells(column, numeric_binary)
    if oid == BYTEA:
        return column.cast(LARGE)
    return text_cells(column)


def _shifted(
    values: pa.Array, epoch: int, infinity: int, infinities: tuple[int, int], what: str
) -> pa.Array:
    """Return `values` counted from PostgreSQL's epoch, DuckDB's infinities as PostgreSQL's;
    raise ValueOutOfRange when a value does not fit PostgreSQL's binary form."""
    infinite = pc.fill_null(pc.equal(pc.abs(values), infinity), False)
    finite = pc.if_else(infinite, pa.scalar(None, values.type), values)
    shifted = _checked(lambda: pc.subtract_checked(finite, epoch), what)
    high, low = infinities
    shifted = pc.if_else(pc.equal(values, infinity), pa.scalar(high, values.type), shifted)
    return pc.if_else(pc.equal(values, -infinity), pa.scalar(low, values.type), shifted)


def _checked(compute: Callable[[], pa.Array], what: str) -> pa.Array:
    try:
        return compute()
    except pa.ArrowInvalid:
        raise ValueOutOfRange(
            f"{what} out of range for PostgreSQL's binary format",
            hint="ask for this column in text format, or cast it to text",
            sqlstate="22008",
        ) from None


def _arrow_of(oid: int) -> pa.DataType:
    return {INT2: pa.int16(), INT4: pa.int32(), INT8: pa.int64()}.get(oid, pa.float64())


def _fixed(original: pa.Array, values: pa.Array, dtype: str) -> pa.Array:
    width = np.dtype(dtype).itemsize
    data = pc.fill_null(values, 0).to_numpy(zero_copy_only=False)
    if original.null_count:
        data = np.where(pc.is_null(original).to_numpy(zero_copy_only=False), 0, data)
    raw = pa.py_buffer(np.ascontiguousarray(data, dtype=dtype).tobytes())
    cells = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, raw])
    cells = cells.cast(LARGE)
    return pc.if_else(pc.is_valid(original), cells, pa.scalar(None, LARGE))


def numeric_binary(value: object) -> bytes:
    """Return a Decimal in PostgreSQL's binary numeric format (base-10000 digits)."""
    number = decimal.Decimal(str(value))
    if number.is_nan():
        return struct.pack("!hhHh", 0, 0, 0xC000, 0)
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    scale = max(0, -exponent)
    text = "".join(map(str, digits))
    if exponent < 0:
        text = text.rjust(scale + 1, "0")
        integer, fraction = text[:exponent], text[exponent:]
    else:
        integer, fraction = text + "0" * exponent, ""
    integer = integer.lstrip("0")
    integer = "0" * (-len(integer) % 4) + integer
    fraction = fraction + "0" * (-len(fraction) % 4)
    groups = [int(integer[i : i + 4]) for i in range(0, len(integer), 4)]
    weight = len(groups) - 1
    groups += [int(fraction[i : i + 4]) for i in range(0, len(fraction), 4)]
    while groups and groups[-1] == 0:
        groups.pop()
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    if not groups:
        weight = 0
    header = struct.pack("!hhHh", len(groups), weight, 0x4000 if sign else 0, scale)
    return header + struct.pack(f"!{len(groups)}h", *groups)


def decode_binary_parameter(oid: int, data: bytes) -> object:
    """Return a parameter sent in binary format as a Python value."""
    if oid in _NUMPY_BINARY:
        return struct.unpack(_STRUCT[oid], data)[0]
    if oid == BOOL:
        return data != b"\0"
    if oid == DATE:
        return dt.date(2000, 1, 1) + dt.timedelta(days=struct.unpack("!i", data)[0])
    if oid in (TIMESTAMP, TIMESTAMPTZ):
        moment = dt.datetime(2000, 1, 1) + dt.timedelta(microseconds=struct.unpack("!q", data)[0])
        return moment.replace(tzinfo=dt.UTC) if oid == TIMESTAMPTZ else moment
    if oid == NUMERIC:
        return _numeric_from_binary(data)
    if oid == BYTEA:
        return data
    if oid == UUID:
        return uuid.UUID(bytes=data)
    if oid == OID:
        return struct.unpack("!I", data)[0]
    return data.decode("utf-8")


def _numeric_from_binary(data: bytes) -> decimal.Decimal:
    count, weight, sign, scale = struct.unpack_from("!hhHh", data)
    if sign == 0xC000:
        return decimal.Decimal("NaN")
    groups = struct.unpack_from(f"!{count}h", data, 8)
    value = sum(
        (
            decimal.Decimal(group) * decimal.Decimal(10000) ** (weight - i)
            for i, group in enumerate(groups)
        ),
        decimal.Decimal(0),
    )
    value = -value if sign == 0x4000 else value
    return value.quantize(decimal.Decimal(1).scaleb(-scale)) if scale else value.to_integral_value()
