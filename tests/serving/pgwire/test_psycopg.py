"""psycopg 3 (libpq) against the endpoint: typed parameters, prepared and binary results,
refusals, timeouts, cancel, errors and the row limit."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import psycopg
import pytest

from tests.serving.pgwire.conftest import ROW_LIMIT

SLOW = "SELECT count(*) FROM range(100000000000) a"


@pytest.fixture
def conn(dsn):
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield connection


def test_parameters_of_each_type_round_trip(conn):
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC)
    values = (7, "it's", True, dt.date(2024, 1, 2), Decimal("12.50"), moment, None, 2.5)
    row = conn.execute(
        "SELECT %s AS i, %s AS s, %s AS b, %s AS d, %s AS n, %s AS t, %s AS z, %s AS f", values
    ).fetchone()
    assert row == values


def test_result_types_have_postgres_oids(conn):
    cursor = conn.execute(
        "SELECT id, store, amount, day, _ingested_at, 1.5::DECIMAL(12, 2) AS price "
        "FROM formatted.sales WHERE id = %s",
        (1,),
    )
    assert [column.type_code for column in cursor.description] == [20, 25, 701, 1082, 1184, 1700]
    row = cursor.fetchone()
    assert row[:4] == (1, "BCN", 10.5, dt.date(2024, 1, 2)) and row[5] == Decimal("1.50")
    assert row[4].tzinfo is not None


def test_prepared_statements_run_again(conn):
    counts = [
        conn.execute(
            "SELECT count(*) FROM formatted.sales WHERE id > %s", (n,), prepare=True
        ).fetchone()[0]
        for n in range(4)
    ]
    assert counts == [3, 2, 1, 0]


def test_binary_results(conn):
    with conn.cursor(binary=True) as cursor:
        cursor.execute(
            "SELECT 1::SMALLINT, 2::INTEGER, 3::BIGINT, 1.5::REAL, 2.5::DOUBLE, true, 'txt', "
            "'\\x01\\x02'::BLOB, DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05.5', "
            "TIMESTAMPTZ '2024-01-02 03:04:05+00', 123.4500::DECIMAL(10, 4), "
            "-0.001::DECIMAL(10, 3), NULL::INTEGER, [1, 2]"
        )
        row = cursor.fetchone()
    assert row == (
        1, 2, 3, 1.5, 2.5, True, "txt", b"\x01\x02", dt.date(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5, 500000), dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        Decimal("123.4500"), Decimal("-0.001"), None, "{1,2}",
    )  # fmt: skip


def test_binary_parameters(conn):
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT %b + 1, %b, %b, %b", (41, dt.date(2024, 1, 2), Decimal("-3.25"), b"\x00\xff")
        )
        assert cursor.fetchone() == (42, dt.date(2024, 1, 2), Decimal("-3.25"), b"\x00\xff")


def test_a_write_is_refused_and_the_table_is_unchanged(dsn):
    with psycopg.connect(dsn) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="not INSERT"):
            conn.execute("INSERT INTO formatted.sales (id) VALUES (99)")
        conn.rollback()
        for statement in ("CREATE TABLE formatted.x AS SELECT 1", "ATTACH 'x.db'"):
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute(statement)
            conn.rollback()
        assert conn.execute("SELECT count(*) FROM formatted.sales").fetchone() == (3,)


def test_a_query_past_its_timeout_is_cancelled(conn):
    with pytest.raises(psycopg.errors.QueryCanceled, match="longer than"):
        conn.execute(SLOW)
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_query_is_cancelled_from_another_thread(conn):
    finished = threading.Event()

    def keep_cancelling() -> None:
        while not finished.wait(0.2):
            conn.cancel_safe()

    canceller = threading.Thread(target=keep_cancelling)
    canceller.start()
    try:
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(SLOW)
    finally:
        finished.set()
        canceller.join()
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_errors_are_clean_and_the_connection_goes_on(dsn):
    with psycopg.connect(dsn) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable, match="nope"):
            conn.execute("SELECT * FROM formatted.nope")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        with pytest.raises(psycopg.errors.SyntaxError) as raised:
            conn.execute("SELEC 1")
        assert "Traceback" not in str(raised.value)
        conn.rollback()
        assert conn.execute("SELECT 'still here'").fetchone() == ("still here",)


def test_a_result_past_the_row_limit_is_truncated(conn):
    notices: list[str] = []
    conn.add_notice_handler(lambda notice: notices.append(notice.message_primary))
    rows = conn.execute("SELECT * FROM range(%s)", (ROW_LIMIT * 5,)).fetchall()
    assert len(rows) == ROW_LIMIT
    assert notices and "truncated" in notices[0]


def test_session_functions_and_settings(conn):
    row = conn.execute(
        "SELECT pg_catalog.version(), current_schema(), pg_backend_pid() > 0"
    ).fetchone()
    assert row[0].startswith("PostgreSQL 15.0 (lakebox)") and row[1:] == ("exploitation", True)
    assert conn.execute("SHOW transaction isolation level").fetchone() == ("read committed",)
    assert conn.info.parameter_status("server_version") == "15.0 (lakebox)"
    assert conn.info.parameter_status("integer_datetimes") == "on"
    conn.execute("BEGIN; SET search_path TO formatted; SAVEPOINT a; RELEASE a; COMMIT")
    assert conn.execute("SELECT count(*) FROM sales").fetchone() == (3,)
    conn.execute("DISCARD ALL")
    assert conn.execute("SELECT current_schema()").fetchone() == ("exploitation",)
    from psycopg.types import TypeInfo

    assert TypeInfo.fetch(conn, "hstore") is None


def test_clients_query_side_by_side(dsn):
    answers: list[object] = []

    def client(n: int) -> None:
        with psycopg.connect(dsn) as conn:
            for _ in range(5):
                row = conn.execute(
                    "SELECT count(*) + %s FROM formatted.sales s JOIN pg_catalog.pg_class c "
                    "ON c.relname = 'sales'",
                    (n,),
                ).fetchone()
                answers.append(row[0] if row else None)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == sorted([n + 6 for n in range(6)] * 5)


def test_named_cursors_fetch_in_steps(dsn):
    with psycopg.connect(dsn) as conn:
        with conn.cursor(name="steps") as cursor:
            cursor.itersize = 3
            cursor.execute("SELECT * FROM range(10) t(i) WHERE i >= %s", (2,))
            first = cursor.fetchmany(2)
            assert conn.execute("SELECT 'between'").fetchone() == ("between",)
            assert first + cursor.fetchall() == [(i,) for i in range(2, 10)]
        conn.execute("DECLARE c CURSOR WITH HOLD FOR SELECT 1 AS one")
        conn.commit()
        assert conn.execute("FETCH ALL FROM c").fetchall() == [(1,)]
        conn.execute("CLOSE c")
        with pytest.raises(psycopg.errors.InvalidCursorName):
            conn.execute("FETCH 1 FROM c")
