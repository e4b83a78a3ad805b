"""Values at the edges of their types come out over pg as PostgreSQL prints them (infinite
dates and timestamps, years past 9999 and before 1), in text and in binary; a value binary
cannot carry is a 22008 error, never a made-up string."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.types.string import TextLoader


class RawBinary(Loader):
    """Hands the binary cell over as it came."""

    format = Format.BINARY

    def load(self, data: bytes) -> bytes:
        return bytes(data)


@pytest.fixture
def conn(dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(dsn, autocommit=True) as connection:
        for name in ("date", "timestamp", "timestamptz"):
            connection.adapters.register_loader(name, TextLoader)
            connection.adapters.register_loader(name, RawBinary)
        yield connection


@pytest.mark.parametrize(
    ("sql", "text"),
    [
        ("'infinity'::DATE", "infinity"),
        ("'-infinity'::DATE", "-infinity"),
        ("'infinity'::TIMESTAMP", "infinity"),
        ("'-infinity'::TIMESTAMP", "-infinity"),
        ("'infinity'::TIMESTAMPTZ", "infinity"),
        ("'294246-12-31'::DATE", "294246-12-31"),
        ("'0044-03-15 (BC)'::DATE", "0044-03-15 BC"),
        ("'12345-06-07 08:09:10'::TIMESTAMP", "12345-06-07 08:09:10"),
        ("'2024-01-02'::DATE", "2024-01-02"),
    ],
)
def test_odd_dates_and_timestamps_in_text_are_postgres_text(conn, sql, text):
    assert conn.execute(f"SELECT {sql} AS v").fetchone() == (text,)


@pytest.mark.parametrize(
    ("sql", "cell"),
    [
        ("'infinity'::DATE", "7fffffff"),
        ("'-infinity'::DATE", "80000000"),
        ("'infinity'::TIMESTAMP", "7fffffffffffffff"),
        ("'-infinity'::TIMESTAMPTZ", "8000000000000000"),
        ("'2000-01-02'::DATE", "00000001"),
    ],
)
def test_infinities_in_binary_are_postgres_infinities(conn, sql, cell):
    rows = conn.execute(f"SELECT {sql} AS v UNION ALL SELECT NULL", binary=True).fetchall()
    assert sorted(rows, key=lambda row: row[0] is None) == [(bytes.fromhex(cell),), (None,)]


def test_a_timestamp_binary_cannot_carry_is_a_22008_error(conn):
    with pytest.raises(psycopg.errors.DatetimeFieldOverflow):
        conn.execute("SELECT '290309-12-22 (BC) 00:00:00'::TIMESTAMP AS v", binary=True)
    assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize(
    ("sql", "text"),
    [
        ("'00:00:00+15:59'::TIMETZ", "00:00:00+15:59"),
        ("'12:34:56-03'::TIMETZ", "12:34:56-03"),
        ("'101'::BIT", "101"),
        ("'0000000011'::BIT", "0000000011"),
    ],
)
def test_timetz_keeps_its_offset_and_bit_its_digits(conn, sql, text):
    row = conn.execute(f"SELECT {sql} AS v, 1 AS n ORDER BY n").fetchone()
    assert row == (text, 1)
