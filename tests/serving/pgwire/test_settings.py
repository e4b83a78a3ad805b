"""SET over pg: statement_timeout lowers the session's query timeout (never past the
server's), DuckDB's own settings are refused, the settings BI tools send are accepted."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from lakebox.serving.pgwire import PgServer

SLOW = "SELECT count(*) FROM range(100000000000) a"


@pytest.fixture(scope="module")
def patient(lh) -> Iterator[PgServer]:
    """A server whose own timeout (10 minutes) no test waits for."""
    with PgServer(lh, port=0, timeout=600) as running:
        yield running


@pytest.fixture
def conn(patient: PgServer) -> Iterator[psycopg.Connection]:
    dsn = f"host=127.0.0.1 port={patient.port} user=tester dbname=lakebox"
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield connection


@pytest.mark.parametrize(
    ("value", "shown"), [("'200ms'", "0.2 s"), ("200", "0.2 s"), ("'1s'", "1 s")]
)
def test_statement_timeout_stops_a_query_of_this_session(conn, value, shown):
    conn.execute(f"SET statement_timeout = {value}")
    with pytest.raises(psycopg.errors.QueryCanceled, match=re.escape(f"longer than {shown} ")):
        conn.execute(SLOW)
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_statement_timeout_never_raises_the_servers(lh):
    with PgServer(lh, port=0, timeout=0.5) as short:
        dsn = f"host=127.0.0.1 port={short.port} user=tester dbname=lakebox"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET statement_timeout = '1min'")
            with pytest.raises(psycopg.errors.QueryCanceled, match=r"longer than 0\.5 s "):
                conn.execute(SLOW)
            conn.execute("SET statement_timeout = 0")  # back to the server's
            with pytest.raises(psycopg.errors.QueryCanceled, match=r"longer than 0\.5 s "):
                conn.execute(SLOW)


def test_statement_timeout_to_default_is_the_servers_again(conn):
    conn.execute("SET statement_timeout = '5s'")
    conn.execute("SET statement_timeout TO DEFAULT")
    assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)


def test_statement_timeout_refuses_what_is_not_a_time(conn):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="statement_timeout"):
        conn.execute("SET statement_timeout = 'soon'")
    assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)


@pytest.mark.parametrize(
    "statement",
    [
        "SET enable_external_access = true",
        "SET threads = 64",
        "SET GLOBAL memory_limit = '100GB'",
        "SET lock_configuration TO false",
    ],
)
def test_a_duckdb_setting_cannot_be_changed(conn, statement):
    with pytest.raises(psycopg.errors.CantChangeRuntimeParam, match="cannot change setting"):
        conn.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "SET search_path = exploitation",
        "SET client_encoding = 'UTF8'",
        "SET DateStyle = 'ISO'",
        "SET extra_float_digits = 3",
        "SET application_name = 'superset'",
        "SET TimeZone = 'UTC'",
        "SET TIME ZONE 'UTC'",
        "SET standard_conforming_strings = on",
        "SET client_min_messages = warning",
        "SET statement_timeout = '8s'",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    ],
)
def test_the_settings_clients_send_are_accepted(conn, statement):
    conn.execute(statement)
    assert conn.execute("SELECT 1").fetchone() == (1,)
