"""Large results stream: the server reads the engine's batches only as fast as the client
takes the rows (a client that stops reading holds a bounded part of the result, never all of
it), and a long query of one client does not hold up another client's short one."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

import psycopg
import pytest

from lakebox.lakehouse import Lakehouse
from lakebox.serving.pgwire import PgServer
from lakebox.serving.pgwire import messages as m
from lakebox.serving.stream import QueryStream

ROWS = 1_000_000
WIDE = f"SELECT i, i + 1 AS b, i + 2 AS c, i + 3 AS d FROM range({ROWS}) AS t(i)"
LONG = "SELECT sum(i % 7) FROM range(20000000000) AS t(i)"  # minutes, unless cancelled


@pytest.fixture(scope="module")
def big(lh: Lakehouse) -> Iterator[PgServer]:
    """A server that sends up to a million rows and lets a query run for minutes."""
    with PgServer(lh, port=0, row_limit=ROWS, timeout=300) as running:
        yield running


def _startup(port: int) -> tuple[socket.socket, BinaryIO, int]:
    """Log in with a small receive buffer; return the socket, its reader and the pid."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    body = struct.pack("!i", m.PROTOCOL_3) + b"user\0reader\0database\0lakebox\0\0"
    sock.sendall(struct.pack("!i", len(body) + 4) + body)
    reader = sock.makefile("rb")
    pid = None
    while True:
        kind, payload = _message(reader)
        if kind == b"K":
            pid = struct.unpack("!i", payload[:4])[0]
        if kind == b"Z":
            assert pid is not None
            return sock, reader, pid


def _message(reader: BinaryIO) -> tuple[bytes, bytes]:
    kind = reader.read(1)
    (length,) = struct.unpack("!i", reader.read(4))
    return kind, reader.read(length - 4)


def _running(server: PgServer, pid: int) -> QueryStream | None:
    connection = server._connections[pid][1]
    return connection.session.running if connection.session is not None else None


def _settled(read: Callable[[], int], polls: int = 400) -> int:
    """Return `read()` once it gave the same value five times in a row (polled 50 ms apart)."""
    seen, same = -1, 0
    for _ in range(polls):
        value = read()
        same = same + 1 if value == seen else 0
        seen = value
        if same >= 5:
            return value
        threading.Event().wait(0.05)
    return seen


def test_a_client_that_stops_reading_holds_back_the_engine(big):
    sock, reader, pid = _startup(big.port)
    try:
        sock.sendall(m.frame(b"Q", WIDE.encode() + b"\0"))
        _settled(lambda: int(_running(big, pid) is not None))
        stream = _running(big, pid)
        assert stream is not None
        sent = _settled(lambda: stream.sent)
        assert 0 < sent < ROWS // 4  # the rest waits in the engine, not in the server
        rows, kind = 0, b""
        while kind != b"Z":
            kind, payload = _message(reader)
            rows += kind == b"D"
            if kind == b"C":
                assert payload == f"SELECT {ROWS}\0".encode()
        assert rows == ROWS and stream.sent == ROWS
    finally:
        reader.close()
        sock.close()


def test_a_client_that_leaves_mid_result_frees_its_query(big):
    before = big.queries.slots.running
    sock, reader, pid = _startup(big.port)
    sock.sendall(m.frame(b"Q", WIDE.encode() + b"\0"))
    _settled(lambda: int(_running(big, pid) is not None))
    assert big.queries.slots.running == before + 1
    reader.close()
    sock.close()
    assert _settled(lambda: big.queries.slots.running) == before
    assert pid not in big._connections
    with psycopg.connect(f"host=127.0.0.1 port={big.port} user=next dbname=lakebox") as again:
        assert again.execute("SELECT 42").fetchone() == (42,)


def test_a_short_query_answers_while_another_client_runs_a_long_one(big):
    dsn = f"host=127.0.0.1 port={big.port} user=tester dbname=lakebox"
    outcome: list[BaseException | object] = []
    before = big.queries.slots.running
    with psycopg.connect(dsn, autocommit=True) as slow, psycopg.connect(dsn) as quick:

        def long_query() -> None:
            try:
                outcome.append(slow.execute(LONG).fetchone())
            except psycopg.Error as error:
                outcome.append(error)

        runner = threading.Thread(target=long_query)
        runner.start()
        try:
            assert _settled(lambda: big.queries.slots.running) == before + 1  # it runs
            assert quick.execute("SELECT 42").fetchone() == (42,)
            assert quick.execute("SELECT count(*) FROM formatted.sales").fetchone() == (3,)
            assert runner.is_alive() and not outcome  # answered while the long one runs
        finally:
            slow.cancel_safe(timeout=30)
            runner.join(timeout=120)
    assert len(outcome) == 1 and isinstance(outcome[0], psycopg.errors.QueryCanceled)
