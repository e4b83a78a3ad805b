"""Canonical column types: how text is cast to each, and how a column's type is inferred.

The type names themselves, and their one spelling, are `lakebox.config.column_types`.
"""

from __future__ import annotations

import pyarrow as pa

from lakebox.config.column_types import is_nested
from lakebox.ground.sql import quote_literal

TIME_TYPES = ("TIMESTAMP", "TIMESTAMPTZ")
INFERENCE_ORDER = ("BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN", "VARCHAR")
_TRUE = ("true", "t", "yes", "y", "1", "si", "sí", "ja", "oui", "x")
_FALSE = ("false", "f", "no", "n", "0", "nein", "non")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", "T%H:%M:%S", " %H:%M:%S.%f")
# An explicit UTC offset after a time of day: 10:00Z, 10:00:00+02:00, 10:00:00.5-0500.
OFFSET_PATTERN = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_OFFSET_FORMATS = ("%Y-%m-%d %H:%M%z", "%Y-%m-%dT%H:%M%z")
_HAS_TIME = r"[0-9]:[0-9]{2}"
INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT")
# A number written with thousands separators, by its decimal mark: 1,234,567.5 and 1.234.567,5.
GROUPED = {
    ".": r"^[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$",
    ",": r"^[-+]?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$",
}
# Text that is a number only with this decimal mark: 1,234.5 / 1,234,567 / 12.5 / 0.125 /
# 1234.567 for '.', and the mirror for ','.
MARKED = {
    mark: rf"^[-+]?([0-9]{{1,3}}(\{other}[0-9]{{3}})+\{mark}[0-9]+"
    rf"|[0-9]{{1,3}}(\{other}[0-9]{{3}}){{2,}}|[0-9]*\{mark}([0-9]{{1,2}}|[0-9]{{4,}})|0?\{mark}[0-9]+|[0-9]{{4,}}\{mark}[0-9]+)$"
    for mark, other in ((".", ","), (",", "."))
}
# 1,234: 1234 with a thousands separator, or 1.234 with a decimal comma.
AMBIGUOUS = r"^[-+]?[1-9][0-9]{0,2},[0-9]{3}$"


def is_number(type_name: str) -> bool:
    """Return whether `type_name` is a numeric type (read with decimal and thousands marks)."""
    return type_name in (*INTEGER_TYPES, "DOUBLE", "FLOAT") or type_name.startswith("DECIMAL")


def cast_sql(
    value: str, type_name: str, date_formats: list[str], decimal: str | None = None
) -> str:
    """Return SQL casting the text expression `value` to `type_name`, NULL when it will not.

    Numbers are read with the column's `decimal` mark ('.' or ','; the other one then
    separates thousands). Undecided (None), '.' is the decimal mark, '12,5' and '1.234,5'
    read as European numbers, '1,234.5' and '1,234,567' with thousands separators, and
    '1,234' (a thousands separator, or a decimal comma?) is not read: see AMBIGUOUS."""
    if type_name in ("VARCHAR", "JSON"):
        return value
    if is_nested(type_name):
        return f"TRY_CAST(TRY_CAST({value} AS JSON) AS {type_name})"
    if type_name in INTEGER_TYPES:
        plain = _integer_sql(value, type_name)
        return f"COALESCE({plain}, {_integer_sql(number_text_sql(value, decimal), type_name)})"
    if is_number(type_name):
        marked = f"TRY_CAST({number_text_sql(value, decimal)} AS {type_name})"
        return marked if decimal == "," else f"COALESCE(TRY_CAST({value} AS {type_name}), {marked})"

    if type_name == "BOOLEAN":
        return _boolean_sql(value)
    if type_name == "DATE":
        return _date_sql(value, date_formats)
    return _timestamp_sql(value, date_formats)


def offset_timestamp_sql(value: str) -> str:
    """Return SQL reading text with an explicit UTC offset as TIMESTAMPTZ."""
    formats = ", ".join(quote_literal(item) for item in _OFFSET_FORMATS)
    return f"COALESCE(TRY_CAST({value} AS TIMESTAMPTZ), try_strptime({value}, [{formats}]))"


def inference_cast_sql(
    value: str, type_name: str, date_formats: list[str], decimal: str | None = None
) -> str:
    """Like cast_sql, but a DATE refuses text with a time of day, so it is inferred TIMESTAMP."""
    cast = cast_sql(value, type_name, date_formats, decimal)
    if type_name != "DATE":
        return cast
    return (
        f"CASE WHEN regexp_matches({value}, {quote_literal(_HAS_TIME)}) THEN NULL ELSE {cast} END"
    )


def arrow_to_sql(data_type: pa.DataType) -> str:
    """Return the canonical type of an Arrow type read back from an Iceberg table."""
    if pa.types.is_timestamp(data_type):
        return "TIMESTAMPTZ" if data_type.tz else "TIMESTAMP"
    if pa.types.is_decimal(data_type):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    if pa.types.is_struct(data_type):
        members = ", ".join(f'"{member.name}" {arrow_to_sql(member.type)}' for member in data_type)
        return f"STRUCT({members})"
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return f"{arrow_to_sql(data_type.value_type)}[]"
    simple = {
        pa.string(): "VARCHAR",
        pa.large_string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.int32(): "INTEGER",
        pa.int16(): "SMALLINT",
        pa.float64(): "DOUBLE",
        pa.float32(): "FLOAT",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
    }
    return simple.get(data_type, "VARCHAR")


def widening(current: str, wanted: str) -> bool:
    """Return whether Iceberg allows promoting `current` to `wanted`."""
    return (current, wanted) in {
        ("INTEGER", "BIGINT"),
        ("SMALLINT", "INTEGER"),
        ("SMALLINT", "BIGINT"),
        ("FLOAT", "DOUBLE"),
    }


def _integer_sql(value: str, type_name: str) -> str:
    """Only integral values cast ('12', '12.0'); DuckDB alone would round '2.5' to 3."""
    integer = f"TRY_CAST({value} AS {type_name})"
    return f"CASE WHEN {integer} = TRY_CAST({value} AS DOUBLE) THEN {integer} END"


def number_text_sql(value: str, decimal: str | None) -> str:
    """Return SQL rewriting number text with the `decimal` mark (see cast_sql) as plain
    '1234.5' (NULL for an AMBIGUOUS value when undecided; other text unchanged)."""
    if decimal == ".":
        grouped = f"regexp_matches({value}, {quote_literal(GROUPED['.'])})"
        return f"CASE WHEN {grouped} THEN replace({value}, ',', '') ELSE {value} END"
    if decimal == ",":
        return (
            f"CASE WHEN regexp_matches({value}, {quote_literal(GROUPED[','])}) "
            f"THEN replace(replace({value}, '.', ''), ',', '.') "
            f"WHEN regexp_matches({value}, '^[-+]?[0-9]*,[0-9]+$') THEN replace({value}, ',', '.') "
            f"ELSE {value} END"
        )
    return (
        f"CASE WHEN regexp_matches({value}, {quote_literal(AMBIGUOUS)}) THEN NULL "
        f"WHEN regexp_matches({value}, {quote_literal(MARKED['.'])}) "
        f"AND regexp_matches({value}, {quote_literal(GROUPED['.'])}) "
        f"THEN replace({value}, ',', '') "
        f"ELSE {_decimal_point_sql(value)} END"
    )


def decimal_evidence_sql(value: str, decimal: str) -> str:
    """Return SQL true when text `value` can only be a number with `decimal` as its mark."""
    return (
        f"((contains({value}, '.') OR contains({value}, ',')) "
        f"AND regexp_matches({value}, {quote_literal(MARKED[decimal])}))"
    )


def _decimal_point_sql(value: str) -> str:
    """European numbers: '12,5' → '12.5' and '1.234,5' → '1234.5'; others unchanged."""
    return (
        f"CASE WHEN regexp_matches({value}, '^[-+]?[0-9]{{1,3}}(\\.[0-9]{{3}})+,[0-9]+$') "
        f"THEN replace(replace({value}, '.', ''), ',', '.') "
        f"WHEN regexp_matches({value}, '^[-+]?[0-9]*,[0-9]+$') THEN replace({value}, ',', '.') "
        f"ELSE {value} END"
    )


def _boolean_sql(value: str) -> str:
    truthy = ", ".join(quote_literal(token) for token in _TRUE)
    falsy = ", ".join(quote_literal(token) for token in _FALSE)
    return (
        f"CASE WHEN lower({value}) IN ({truthy}) THEN true "
        f"WHEN lower({value}) IN ({falsy}) THEN false END"
    )


def _date_sql(value: str, date_formats: list[str]) -> str:
    parsed = _strptime_sql(value, date_formats, ("",))
    return (
        f"COALESCE(TRY_CAST({value} AS DATE), TRY_CAST(TRY_CAST({value} AS TIMESTAMP) AS DATE), "
        f"{parsed}::DATE)"
    )


def _timestamp_sql(value: str, date_formats: list[str]) -> str:
    parsed = _strptime_sql(value, date_formats, _TIME_SUFFIXES)
    with_offset = f"({offset_timestamp_sql(value)})::TIMESTAMP"
    return f"COALESCE(TRY_CAST({value} AS TIMESTAMP), {parsed}, {with_offset})"


def _strptime_sql(value: str, date_formats: list[str], suffixes: tuple[str, ...]) -> str:
    formats = [date_format + suffix for date_format in date_formats for suffix in suffixes]
    if not formats:
        return "NULL::TIMESTAMP"
    listed = ", ".join(quote_literal(item) for item in formats)
    # only text that could be a date is tried against every format
    plausible = f"length({value}) BETWEEN 6 AND 40 AND regexp_matches({value}, '[0-9]')"
    return f"CASE WHEN {plausible} THEN try_strptime({value}, [{listed}]) END"
