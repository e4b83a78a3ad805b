"""Every type lakebox sends in binary comes out byte for byte as PostgreSQL 15 itself sends
the same values, in text and in binary (compared with the real server at 127.0.0.1:5432 when
it runs; else the test is skipped), and text and binary give the same Python values."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import psycopg
import pytest
from psycopg.adapt import Loader
from psycopg.pq import Format

POSTGRES = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
# type name in PostgreSQL, in DuckDB, and the values (as SQL string literals; None: NULL)
CASES = [
    ("smallint", "SMALLINT", ["-32768", "0", "32767", None]),
    ("integer", "INTEGER", ["-2147483648", "42", "2147483647", None]),
    ("bigint", "BIGINT", ["-9223372036854775808", "7", "9223372036854775807", None]),
    ("real", "REAL", ["1.5", "-0.25", "0.1", "3.4028235e38", "1e-10", "NaN", "Infinity", None]),
    (
        "double precision",
        "DOUBLE",
        ["0.1", "-2.5", "1e20", "1e15", "123456.789", "1e-300", "-Infinity", "NaN", None],
    ),
    ("boolean", "BOOLEAN", ["true", "false", None]),
    ("text", "TEXT", ["plain", "", "with 'quotes', commas\tand tabs", "ünïcødé ✓", None]),
    ("date", "DATE", ["2024-02-29", "1970-01-01", "0001-01-01", "9999-12-31", None]),
    (
        "timestamp",
        "TIMESTAMP",
        ["2024-01-02 03:04:05", "2024-01-02 03:04:05.123456", "1900-01-01 00:00:00", None],
    ),
    ("timestamptz", "TIMESTAMPTZ", ["2024-01-02 03:04:05+00", "1999-12-31 23:59:59.5+00", None]),
    ("numeric(12,2)", "DECIMAL(12,2)", ["12.50", "-0.01", "9999999999.99", "0", None]),
    ("numeric(18,6)", "DECIMAL(18,6)", ["1.000001", "-123456789012.5", None]),
]


class RawText(Loader):
    format = Format.TEXT

    def load(self, data: bytes) -> bytes:
        return bytes(data)


class RawBinary(Loader):
    format = Format.BINARY

    def load(self, data: bytes) -> bytes:
        return bytes(data)


@pytest.fixture(scope="module")
def postgres() -> Iterator[psycopg.Connection]:
    try:
        connection = psycopg.connect(POSTGRES, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server to compare with: {error}")
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def _sql(type_name: str, values: list[str | None], bytea: str | None = None) -> str:
    rows = ", ".join(
        f"({index}, {'NULL' if value is None else _quoted(value)})"
        for index, value in enumerate(values)
    )
    cast = bytea.format("v") if bytea else f"CAST(v AS {type_name})"
    return f"SELECT {cast} AS c FROM (VALUES {rows}) AS t(i, v) ORDER BY i"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _raw(connection: psycopg.Connection, sql: str, binary: bool) -> tuple[int, list[object]]:
    for oid in (16, 17, 20, 21, 23, 25, 700, 701, 1043, 1082, 1114, 1184, 1700):
        connection.adapters.register_loader(oid, RawBinary if binary else RawText)
    with connection.cursor(binary=binary) as cursor:
        cursor.execute(sql)
        assert cursor.description is not None
        return cursor.description[0].type_code, [row[0] for row in cursor.fetchall()]


def _cases() -> list[tuple[str, str, list[str | None], str | None, str | None]]:
    plain = [(pg, duck, values, None, None) for pg, duck, values in CASES]
    bytea = ("bytea", "BLOB", ["0102ff", "", "5c78", None], "decode({}, 'hex')", "unhex({})")
    return [*plain, bytea]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize(("pg_type", "duck_type", "values", "pg_expr", "duck_expr"), _cases())
def test_cells_are_postgres_cells(
    dsn, postgres, binary, pg_type, duck_type, values, pg_expr, duck_expr
):
    with psycopg.connect(dsn, autocommit=True) as lakebox:
        oid, got = _raw(lakebox, _sql(duck_type, values, duck_expr), binary)
    expected_oid, expected = _raw(postgres, _sql(pg_type, values, pg_expr), binary)
    assert got == expected
    assert oid == expected_oid


@pytest.mark.parametrize(("duck_type", "values"), [(duck, values) for _, duck, values in CASES])
def test_text_and_binary_give_the_same_values(dsn, duck_type, values):
    sql = _sql(duck_type, values)
    with psycopg.connect(dsn, autocommit=True) as lakebox:
        texts = lakebox.cursor(binary=False).execute(sql).fetchall()
        binaries = lakebox.cursor(binary=True).execute(sql).fetchall()
    if duck_type == "REAL":  # text carries the float4's shortest digits, binary its bits
        texts = [(None if a is None else float(np.float32(a)),) for (a,) in texts]
    same = [
        a == b or (a != a and b != b)  # NaN
        for (a,), (b,) in zip(texts, binaries, strict=True)
    ]
    assert all(same), list(zip(texts, binaries, strict=True))
