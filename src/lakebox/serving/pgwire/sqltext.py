"""SQL text as the wire carries it: statements split, `$n` parameters inlined as literals."""

from __future__ import annotations

import datetime as dt
import decimal
import re

from lakebox.errors import QueryError
from lakebox.serving.pgwire import types

# Quoted strings, quoted identifiers, comments and dollar-quoted bodies are skipped whole;
# what is left are semicolons and `$n` placeholders.
_TOKENS = re.compile(
    r"(?P<skip>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$)"
    r"|(?P<parameter>\$(?P<number>\d+))|(?P<semicolon>;)",
    re.DOTALL,
)
_DUCKDB_CASTS = {
    types.BOOL: "BOOLEAN",
    types.FLOAT4: "REAL",
    types.FLOAT8: "DOUBLE",
    types.DATE: "DATE",
    types.TIME: "TIME",
    types.TIMESTAMP: "TIMESTAMP",
    types.TIMESTAMPTZ: "TIMESTAMPTZ",
    types.INTERVAL: "INTERVAL",
    types.UUID: "UUID",
}
_INTEGERS = (types.INT2, types.INT4, types.INT8, types.OID)


def split_statements(sql: str) -> list[str]:
    """Return the statements of `sql` (split at semicolons outside quotes), blank ones dropped."""
    statements, start = [], 0
    for match in _TOKENS.finditer(sql):
        if match.group("semicolon"):
            statements.append(sql[start : match.start()])
            start = match.end()
    statements.append(sql[start:])
    return [statement.strip() for statement in statements if _meaningful(statement)]


def _meaningful(statement: str) -> bool:
    return bool(strip_comments(statement).strip())


def strip_comments(sql: str) -> str:
    """Return `sql` without its comments."""

    def drop(match: re.Match[str]) -> str:
        skipped = match.group("skip") or ""
        return " " if skipped.startswith(("--", "/*")) else match.group(0)

    return _TOKENS.sub(drop, sql)


def parameter_count(sql: str) -> int:
    """Return the highest `$n` used in `sql` (0 when there is none)."""
    numbers = [int(m.group("number")) for m in _TOKENS.finditer(sql) if m.group("parameter")]
    return max(numbers, default=0)


def inline_parameters(sql: str, literals: list[str]) -> str:
    """Return `sql` with each `$n` replaced by `literals[n - 1]`."""

    def replace(match: re.Match[str]) -> str:
        if not match.group("parameter"):
            return match.group(0)
        number = int(match.group("number"))
        if not 1 <= number <= len(literals):
            raise QueryError(f"there is no parameter ${number} ({len(literals)} were bound)")
        return literals[number - 1]

    return _TOKENS.sub(replace, sql)


def literal(value: object, oid: int) -> str:
    """Return a DuckDB literal for a bound parameter of PostgreSQL type `oid` (0 = unknown)."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes) or oid == types.BYTEA:
        return _bytea_literal(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if oid in _INTEGERS or isinstance(value, int):
        return str(int(str(value).strip()))
    if oid == types.NUMERIC or isinstance(value, decimal.Decimal):
        return _numeric_literal(str(value))
    text = _text_of(value)
    quoted = "'" + text.replace("'", "''") + "'"
    cast = _DUCKDB_CASTS.get(oid)
    return f"CAST({quoted} AS {cast})" if cast else quoted


def _text_of(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def _numeric_literal(text: str) -> str:
    try:
        number = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        raise QueryError(f"{text!r} is not a number") from None
    if not number.is_finite():
        return f"CAST('{number}' AS DOUBLE)"
    return f"CAST({number} AS DECIMAL(38, {max(0, -int(number.as_tuple().exponent))}))"


def _bytea_literal(value: object) -> str:
    if isinstance(value, str):
        value = bytes.fromhex(value[2:]) if value.startswith("\\x") else value.encode()
    assert isinstance(value, bytes)
    return f"unhex('{value.hex()}')"
