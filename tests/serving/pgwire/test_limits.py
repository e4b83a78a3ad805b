"""What one client may hold of the pg endpoint: message sizes before and after logging in,
time to log in, time to stay silent, and how many connect at once; spoken with raw sockets."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest

from lakebox.serving.pgwire import ConnectionLimits, PgServer
from lakebox.serving.pgwire import messages as m
from tests.serving.pgwire.conftest import TOKEN

GIB = 1 << 30
STARTUP = struct.pack("!i", m.PROTOCOL_3) + b"user\0raw\0database\0lakebox\0\0"


def limited(lh, token: str | None = None, **limits: Any) -> PgServer:
    return PgServer(lh, port=0, token=token, limits=ConnectionLimits(**limits))


@pytest.fixture
def short(lh) -> Iterator[PgServer]:
    """A server whose limits are small enough to reach in a test."""
    with limited(lh, max_connections=2, idle_timeout=0, max_message=1 << 20) as running:
        yield running


def connect(server: PgServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def start(sock: socket.socket) -> list[tuple[bytes, bytes]]:
    """Send the startup packet; return the messages up to ReadyForQuery (or an error)."""
    sock.sendall(struct.pack("!i", len(STARTUP) + 4) + STARTUP)
    return until(sock, b"ZE")


def until(sock: socket.socket, last: bytes) -> list[tuple[bytes, bytes]]:
    reading = sock.makefile("rb")
    got = []
    while True:
        kind = reading.read(1)
        if not kind:
            return got
        (length,) = struct.unpack("!i", reading.read(4))
        got.append((kind, reading.read(length - 4)))
        if kind in last:
            return got


def error_code(message: tuple[bytes, bytes]) -> str:
    kind, body = message
    assert kind == b"E"
    fields = {part[:1]: part[1:] for part in body.split(b"\0") if part}
    return fields[b"C"].decode()


def closed(sock: socket.socket) -> bool:
    """Return whether the server closed `sock` (reading what it sent first); the socket's own
    timeout (30 s) ends the wait if it never does."""
    try:
        while chunk := sock.recv(65536):
            del chunk
    except ConnectionResetError:
        pass
    return True


def test_a_gib_long_startup_packet_is_refused_from_its_length(short):
    with connect(short) as sock:
        sock.sendall(struct.pack("!i", GIB))  # and not one byte of the body
        [refusal] = until(sock, b"E")
        assert error_code(refusal) == "54000" and b"10,000" in refusal[1]
        assert closed(sock)


def test_a_gib_long_password_message_is_refused_before_any_of_it_is_read(lh):
    with limited(lh, token=TOKEN) as guarded, connect(guarded) as sock:
        sock.sendall(struct.pack("!i", len(STARTUP) + 4) + STARTUP)
        assert until(sock, b"R")[0][0] == b"R"  # SASL authentication, please
        sock.sendall(b"p" + struct.pack("!i", GIB))
        [refusal] = until(sock, b"E")
        assert error_code(refusal) == "54000" and b"before authentication" in refusal[1]
        assert closed(sock)


def test_after_login_a_message_past_the_limit_ends_the_connection(short):
    with connect(short) as sock:
        assert start(sock)[-1] == (b"Z", b"I")
        sock.sendall(b"Q" + struct.pack("!i", (1 << 20) + 5))
        [refusal] = until(sock, b"E")
        assert error_code(refusal) == "54000" and b"1,048,576" in refusal[1]
        assert closed(sock)


def test_a_message_within_the_limit_is_served(short):
    with psycopg.connect(f"host=127.0.0.1 port={short.port} user=t dbname=lakebox") as conn:
        text = "x" * 500_000
        assert conn.execute("SELECT length(%s) AS n", [text]).fetchone() == (500_000,)


def test_a_silent_client_is_dropped_at_the_login_timeout(lh):
    with limited(lh, max_connections=2, auth_timeout=0.5) as server:
        with connect(server) as silent, connect(server) as slow:
            slow.sendall(struct.pack("!i", len(STARTUP) + 4))  # a length, then nothing
            assert closed(silent) and closed(slow)
        with connect(server) as sock:  # the two places are free again
            assert start(sock)[-1] == (b"Z", b"I")


def test_an_idle_session_is_dropped_at_the_idle_timeout(lh):
    with limited(lh, idle_timeout=0.5) as server, connect(server) as sock:
        assert start(sock)[-1] == (b"Z", b"I")
        [goodbye] = until(sock, b"E")
        assert error_code(goodbye) == "25P03" and b"idle" in goodbye[1]
        assert closed(sock)


def test_the_client_past_the_connection_limit_is_refused(short):
    dsn = f"host=127.0.0.1 port={short.port} user=t dbname=lakebox"
    with ExitStack() as held:
        for _ in range(2):
            sock = held.enter_context(connect(short))
            assert start(sock)[-1] == (b"Z", b"I")
        with connect(short) as third:
            [refusal] = start(third)
            assert error_code(refusal) == "53300" and b"too many clients" in refusal[1]
        with pytest.raises(psycopg.OperationalError, match="too many clients"):
            psycopg.connect(dsn, connect_timeout=10)
    with admitted(dsn) as conn:  # they left, so another may come in
        assert conn.execute("SELECT 1").fetchone() == (1,)


def admitted(dsn: str) -> psycopg.Connection:
    """Connect once the server has seen the clients before leave (it frees their places as
    it notices them gone)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return psycopg.connect(dsn, connect_timeout=10)
        except psycopg.OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_server_without_limits_given_has_postgres_like_defaults():
    limits = ConnectionLimits()
    assert (limits.max_connections, limits.auth_timeout) == (64, 10.0)
    assert limits.idle_timeout == 3600.0 and limits.max_message == 16 << 20
