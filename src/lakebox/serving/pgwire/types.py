"""PostgreSQL types as lakebox shows them: type OIDs, the type shown for an Arrow column, and
the table of types the catalog emulation lists."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

BOOL, BYTEA, INT8, INT2, INT4, TEXT, OID, JSON = 16, 17, 20, 21, 23, 25, 26, 114
FLOAT4, FLOAT8, UNKNOWN, VARCHAR, DATE, TIME = 700, 701, 705, 1043, 1082, 1083
TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC, UUID = 1114, 1184, 1186, 1700, 2950


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
    if is_scalar_list(arrow):
        element = pg_type(arrow.value_type).oid
        return PgType(ARRAYS.get(element, TEXT))
    return PgType(TEXT)


def is_scalar_list(arrow: pa.DataType) -> bool:
    if not (pa.types.is_list(arrow) or pa.types.is_large_list(arrow)):
        return False
    value = arrow.value_type
    return not pa.types.is_nested(value) and not pa.types.is_dictionary(value)


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
