"""PostgreSQL types for Arrow columns: type OIDs, and cells encoded a batch at a time."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.errors import QueryError

BOOL, BYTEA, INT8, INT2, INT4, TEXT, OID, JSON = 16, 17, 20, 21, 23, 25, 26, 114
FLOAT4, FLOAT8, UNKNOWN, VARCHAR, DATE, TIME = 700, 701, 705, 1043, 1082, 1083
TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC, UUID = 1114, 1184, 1186, 1700, 2950

# PostgreSQL's epoch (2000-01-01) in Unix days and microseconds.
PG_EPOCH_DAYS = 10_957
PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400_000_000
_LARGE = pa.large_binary()
_NOTHING = pa.scalar(b"", _LARGE)
_NULL_LENGTH = -1
# DuckDB's infinite dates and timestamps (their storage values), and PostgreSQL's in binary
_DATE_INFINITY, _TIMESTAMP_INFINITY = (1 << 31) - 1, (1 << 63) - 1
_PG_DATE_INFINITIES = ((1 << 31) - 1, -(1 << 31))
_PG_TIMESTAMP_INFINITIES = ((1 << 63) - 1, -(1 << 63))
# the days Arrow prints itself: 0001-01-01 to 9999-12-31 (Unix days)
_ARROW_DAYS = (-719_162, 2_932_896)
_UNIT_MICROS = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": 0.001}


class ValueOutOfRange(QueryError):
    """A value has no form in PostgreSQL's wire format (SQLSTATE 22008)."""


@dataclass(frozen=True)
class PgType:
    """How a column looks to a PostgreSQL client."""

    oid: int
    size: int = -1
    modifier: int = -1


def pg_type(arrow: pa.DataType) -> PgType:
    """Return the PostgreSQL type shown for an Arrow type (text for anything exotic)."""
    if pa.types.is_boolean(arrow):
        return PgType(BOOL, 1)
    if pa.types.is_int8(arrow) or pa.types.is_int16(arrow) or pa.types.is_uint8(arrow):
        return PgType(INT2, 2)
    if pa.types.is_int32(arrow) or pa.types.is_uint16(arrow):
        return PgType(INT4, 4)
    if pa.types.is_integer(arrow):
        return PgType(INT8, 8) if arrow != pa.uint64() else PgType(NUMERIC)
    if pa.types.is_float16(arrow) or pa.types.is_float32(arrow):
        return PgType(FLOAT4, 4)
    if pa.types.is_float64(arrow):
        return PgType(FLOAT8, 8)
    if pa.types.is_decimal(arrow):
        return PgType(NUMERIC, -1, ((arrow.precision << 16) | arrow.scale) + 4)
    if pa.types.is_date(arrow):
        return PgType(DATE, 4)
    if pa.types.is_timestamp(arrow):
        return PgType(TIMESTAMPTZ if arrow.tz else TIMESTAMP, 8)
    if pa.types.is_time(arrow):
        return PgType(TIME, 8)
    if pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        return PgType(BYTEA)
    if isinstance(arrow, pa.ExtensionType) and arrow.extension_name == "arrow.uuid":
        return PgType(UUID, 16)
    if pa.types.is_interval(arrow) or pa.types.is_duration(arrow):
        return PgType(INTERVAL, 16)
    if _is_scalar_list(arrow):
        element = pg_type(arrow.value_type).oid
        return PgType(ARRAYS.get(element, TEXT))
    return PgType(TEXT)


def _is_scalar_list(arrow: pa.DataType) -> bool:
    if not (pa.types.is_list(arrow) or pa.types.is_large_list(arrow)):
        return False
    value = arrow.value_type
    return not pa.types.is_nested(value) and not pa.types.is_dictionary(value)


# -- text format ---------------------------------------------------------------------------


def text_cells(column: pa.Array) -> pa.Array:
    """Return each value of `column` in PostgreSQL's text format (large_binary, nulls kept)."""
    kind = column.type
    if pa.types.is_boolean(kind):
        return pc.if_else(column, b"t", b"f").cast(_LARGE)
    if pa.types.is_floating(kind):
        return _float_text(column)
    if pa.types.is_timestamp(kind):
        return _timestamp_text(column)
    if pa.types.is_date(kind):
        return _date_text(column)
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        return column.cast(pa.string()).cast(_LARGE)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(_LARGE)
    if pa.types.is_time(kind):
        return column.cast(pa.string()).cast(_LARGE)
    if _is_scalar_list(kind):
        return _python_cells(column, array_text)
    if pa.types.is_map(kind):
        pairs = column.to_pylist()
        maps = [None if items is None else dict(items) for items in pairs]
        return pa.array([None if m is None else _text_of(m) for m in maps], _LARGE)
    return _python_cells(column, _text_of)


def _timestamp_text(column: pa.Array) -> pa.Array:
    kind = column.type
    unit = "us" if kind.unit == "ns" else kind.unit  # clients read at most 6 digits
    raw = column.cast(pa.int64())
    days = pc.divide(raw, int(86_400_000_000 / _UNIT_MICROS[kind.unit]))  # toward zero
    odd = _outside(days, (_ARROW_DAYS[0] + 1, _ARROW_DAYS[1] - 1))
    odd = pc.or_(odd, pc.fill_null(pc.equal(pc.abs(raw), _TIMESTAMP_INFINITY), False))
    text = pc.cast(
        pc.if_else(odd, pa.scalar(None, column.type), column), pa.timestamp(unit), safe=False
    )
    text = text.cast(pa.string())
    if pc.any(odd).as_py():
        micros = _UNIT_MICROS[kind.unit]
        special = [_odd_timestamp(value, micros) for value in raw.to_pylist()]
        text = pc.if_else(odd, pa.array(special, pa.string()), text)
    if kind.tz:  # DuckDB hands timestamptz over in UTC
        infinite = pc.fill_null(pc.ends_with(text, "infinity"), False)
        text = pc.if_else(infinite, text, pc.binary_join_element_wise(text, "+00", ""))
    return text.cast(_LARGE)


def _date_text(column: pa.Array) -> pa.Array:
    days = column.cast(pa.date32()).cast(pa.int32())
    odd = _outside(days, _ARROW_DAYS)
    if not pc.any(odd).as_py():
        return column.cast(pa.string()).cast(_LARGE)
    text = pc.if_else(odd, pa.scalar(None, column.type), column).cast(pa.string())
    special = [None if day is None else _odd_date(day) for day in days.to_pylist()]
    return pc.if_else(odd, pa.array(special, pa.string()), text).cast(_LARGE)


def _outside(values: pa.Array, bounds: tuple[int, int]) -> pa.Array:
    low, high = bounds
    return pc.fill_null(pc.or_(pc.less(values, low), pc.greater(values, high)), False)


def _odd_date(days: int) -> str:
    """Return a date Arrow cannot print (infinite, before year 1, after 9999) as PostgreSQL
    does: infinity, -infinity, 294246-12-31, 0044-03-15 BC."""
    if abs(days) == _DATE_INFINITY:
        return "infinity" if days > 0 else "-infinity"
    year, month, day = _civil(days)
    if year <= 0:
        return f"{1 - year:04d}-{month:02d}-{day:02d} BC"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _odd_timestamp(value: int | None, micros_per_unit: float) -> str | None:
    if value is None:
        return None
    if abs(value) == _TIMESTAMP_INFINITY:
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


def _float_text(column: pa.Array) -> pa.Array:
    text = column.cast(pa.string())
    if pc.any(pc.invert(pc.is_finite(column))).as_py():
        for arrow_word, pg_word in (("inf", "Infinity"), ("-inf", "-Infinity"), ("nan", "NaN")):
            text = pc.replace_substring_regex(text, f"^{arrow_word}$", pg_word)
    return text.cast(_LARGE)


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


def _python_cells(column: pa.Array, encode: Callable[[object], bytes]) -> pa.Array:
    values = [None if value is None else encode(value) for value in column.to_pylist()]
    return pa.array(values, _LARGE)


# -- binary format -------------------------------------------------------------------------

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
        shifted = _shifted(days, PG_EPOCH_DAYS, _DATE_INFINITY, _PG_DATE_INFINITIES, "date")
        return _fixed(column, shifted, ">i4")
    if oid in (TIMESTAMP, TIMESTAMPTZ):
        raw = column.cast(pa.int64())
        infinite = pc.fill_null(pc.equal(pc.abs(raw), _TIMESTAMP_INFINITY), False)
        finite = pc.if_else(infinite, pa.scalar(None, column.type), column)
        target = pa.timestamp("us", column.type.tz)
        safe = column.type.unit != "ns"  # nanoseconds are cut to microseconds, as in text
        micros = _checked(lambda: pc.cast(finite, target, safe=safe), "timestamp")
        shifted = _shifted(
            pc.if_else(infinite, raw, micros.cast(pa.int64())),
            PG_EPOCH_MICROS,
            _TIMESTAMP_INFINITY,
            _PG_TIMESTAMP_INFINITIES,
            "timestamp",
        )
        return _fixed(column, shifted, ">i8")
    if oid == NUMERIC:
        return _python_cells(column, numeric_binary)
    if oid == BYTEA:
        return column.cast(_LARGE)
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
    cells = cells.cast(_LARGE)
    return pc.if_else(pc.is_valid(original), cells, pa.scalar(None, _LARGE))


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


# -- whole rows ----------------------------------------------------------------------------


def data_rows(cells: list[pa.Array]) -> bytes:
    """Return DataRow messages for equally long columns of encoded cells, built by Arrow."""
    count = len(cells[0]) if cells else 0
    if count == 0:
        return b""
    prefixed = []
    lengths = np.full(count, 6, dtype=np.int64)
    for column in cells:
        sizes = pc.fill_null(pc.binary_length(column), _NULL_LENGTH).to_numpy()
        lengths += 4 + np.maximum(sizes, 0)
        prefix = _fixed_bytes(sizes.astype(">i4"), 4)
        prefixed.append(pc.binary_join_element_wise(prefix, pc.fill_null(column, b""), _NOTHING))
    header = np.zeros(count, dtype=[("kind", "S1"), ("length", ">i4"), ("columns", ">i2")])
    header["kind"] = b"D"
    header["length"] = lengths
    header["columns"] = len(cells)
    rows = pc.binary_join_element_wise(_fixed_bytes(header, 7), *prefixed, _NOTHING)
    offsets, data = rows.buffers()[1], rows.buffers()[2]
    bounds = np.frombuffer(offsets, dtype=np.int64)[rows.offset : rows.offset + count + 1]
    return data.to_pybytes()[bounds[0] : bounds[-1]]


def _fixed_bytes(values: np.ndarray, width: int) -> pa.Array:
    raw = pa.py_buffer(np.ascontiguousarray(values).tobytes())
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, raw])
    return array.cast(_LARGE)


# -- parameters ----------------------------------------------------------------------------


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


# -- the catalog's view of types ------------------------------------------------------------

# DuckDB's type names (as duckdb_columns() spells them) → the PostgreSQL type shown.
DUCKDB_TYPES: dict[str, int] = {
    "BOOLEAN": BOOL,
    "TINYINT": INT2,
    "SMALLINT": INT2,
    "UTINYINT": INT2,
    "INTEGER": INT4,
    "USMALLINT": INT4,
    "BIGINT": INT8,
    "UINTEGER": INT8,
    "UBIGINT": NUMERIC,
    "HUGEINT": NUMERIC,
    "UHUGEINT": NUMERIC,
    "FLOAT": FLOAT4,
    "DOUBLE": FLOAT8,
    "DATE": DATE,
    "TIME": TIME,
    "TIMESTAMP": TIMESTAMP,
    "TIMESTAMP_S": TIMESTAMP,
    "TIMESTAMP_MS": TIMESTAMP,
    "TIMESTAMP_NS": TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": TIMESTAMPTZ,
    "INTERVAL": INTERVAL,
    "BLOB": BYTEA,
    "UUID": UUID,
    "VARCHAR": TEXT,
}

# oid, name, SQL name (format_type), length, category, array oid: the types lakebox shows.
PG_TYPES: tuple[tuple[int, str, str, int, str, int], ...] = (
    (BOOL, "bool", "boolean", 1, "B", 1000),
    (BYTEA, "bytea", "bytea", -1, "U", 1001),
    (18, "char", '"char"', 1, "Z", 1002),
    (19, "name", "name", 64, "S", 1003),
    (INT8, "int8", "bigint", 8, "N", 1016),
    (INT2, "int2", "smallint", 2, "N", 1005),
    (INT4, "int4", "integer", 4, "N", 1007),
    (TEXT, "text", "text", -1, "S", 1009),
    (OID, "oid", "oid", 4, "N", 1028),
    (JSON, "json", "json", -1, "U", 199),
    (FLOAT4, "float4", "real", 4, "N", 1021),
    (FLOAT8, "float8", "double precision", 8, "N", 1022),
    (UNKNOWN, "unknown", "unknown", -2, "X", 0),
    (VARCHAR, "varchar", "character varying", -1, "S", 1015),
    (DATE, "date", "date", 4, "D", 1182),
    (TIME, "time", "time without time zone", 8, "D", 1183),
    (TIMESTAMP, "timestamp", "timestamp without time zone", 8, "D", 1115),
    (TIMESTAMPTZ, "timestamptz", "timestamp with time zone", 8, "D", 1185),
    (INTERVAL, "interval", "interval", 16, "T", 1187),
    (NUMERIC, "numeric", "numeric", -1, "N", 1231),
    (UUID, "uuid", "uuid", 16, "U", 2951),
    (3802, "jsonb", "jsonb", -1, "U", 3807),
)

# element oid → array oid
ARRAYS: dict[int, int] = {oid: array for oid, _, _, _, _, array in PG_TYPES if array}
