"""The endpoint over TLS: libpq's sslmode=require and verify-full log in encrypted, a password
is checked inside TLS, a client without TLS is refused plainly, cancel requests work either
way, and a client that botches the handshake or stays silent fails alone."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import psycopg
import pytest

from lakebox.lakehouse import Lakehouse
from lakebox.serving.pgwire import ConnectionLimits, PgServer
from lakebox.serving.pgwire import messages as m
from lakebox.serving.tls import server_context
from tests.serving.certificates import Certificate, self_signed
from tests.serving.pgwire.conftest import TOKEN

SLOW = "SELECT count(*) FROM range(100000000000) a"
STARTUP = struct.pack("!i", m.PROTOCOL_3) + b"user\0raw\0database\0lakebox\0\0"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(lh: Lakehouse, certificate: Certificate) -> Iterator[PgServer]:
    tls = server_context(certificate.cert, certificate.key)
    with PgServer(lh, port=0, timeout=60, tls=tls) as running:
        yield running


def dsn(server: PgServer, sslmode: str, user: str = "tester", **more: object) -> str:
    extra = "".join(f" {name}={value}" for name, value in more.items())
    return f"host=127.0.0.1 port={server.port} user={user} dbname=lakebox sslmode={sslmode}{extra}"


def answers_over_tls(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("SELECT count(*) FROM formatted.sales").fetchone() == (3,)


@pytest.mark.parametrize("sslmode", ["require", "prefer"])
def test_libpq_logs_in_over_tls(tls_server, sslmode):
    answers_over_tls(dsn(tls_server, sslmode))


@pytest.mark.parametrize("binary", [False, True])
def test_a_large_result_crosses_tls_whole(tls_server, binary):
    with psycopg.connect(dsn(tls_server, "require")) as conn:
        rows = (
            conn.cursor(binary=binary)
            .execute("SELECT i, 'row ' || i || repeat('.', 200) FROM range(5000) t(i)")
            .fetchall()
        )
    assert len(rows) == 5000 and rows[-1][0] == 4999 and rows[-1][1].startswith("row 4999.")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_verify_full_checks_the_certificate_and_its_name(tls_server, certificate, host):
    conninfo = dsn(tls_server, "verify-full", sslrootcert=certificate.cert)
    answers_over_tls(conninfo.replace("host=127.0.0.1", f"host={host}"))


def test_verify_full_refuses_a_certificate_it_does_not_trust(tls_server, tmp_path):
    stranger = self_signed(tmp_path, "stranger")
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(dsn(tls_server, "verify-full", sslrootcert=stranger.cert))


def test_a_client_without_tls_is_refused_plainly(tls_server):
    with pytest.raises(psycopg.OperationalError, match=r"requires TLS \(sslmode=require\)"):
        psycopg.connect(dsn(tls_server, "disable"))
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=30) as sock:
        sock.sendall(struct.pack("!i", len(STARTUP) + 4) + STARTUP)
        kind, fields = error_fields(sock.makefile("rb"))
    assert kind == b"E" and fields[b"S"] == b"FATAL" and fields[b"C"] == b"28000"
    assert fields[b"M"] == b"this server requires TLS (sslmode=require)"


def error_fields(file: BinaryIO) -> tuple[bytes, dict[bytes, bytes]]:
    """Read messages up to the first ErrorResponse; return its kind and fields."""
    kind, body = read_message(file)
    while kind not in (b"E", b""):
        kind, body = read_message(file)
    return kind, {part[:1]: part[1:] for part in body.split(b"\0") if part}


def test_a_password_is_checked_inside_tls(lh, certificate):
    tls = server_context(certificate.cert, certificate.key)
    with PgServer(lh, port=0, token=TOKEN, tls=tls) as server:
        answers_over_tls(dsn(server, "require", user="token", password=TOKEN))
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            # a user of its own: failed logins are limited per user name
            psycopg.connect(dsn(server, "require", user="tls-stranger", password="wrong"))


def test_a_cancel_request_over_tls_stops_the_query(tls_server):
    with psycopg.connect(dsn(tls_server, "require"), autocommit=True) as conn:
        # libpq sends the cancel request of a TLS connection over TLS
        with cancelling(conn.cancel_safe), pytest.raises(psycopg.errors.QueryCanceled) as raised:
            conn.execute(SLOW)
        assert "longer than" not in str(raised.value)  # cancelled, not timed out
        assert conn.execute("SELECT 2").fetchone() == (2,)


def test_a_plain_cancel_request_stops_a_query_run_over_tls(tls_server, certificate):
    """As older libpq's PQcancel sends it (not callable here: it holds the GIL while it waits
    for this in-process server)."""
    with tls_client(tls_server.port, certificate.cert) as secured:
        secured.sendall(struct.pack("!i", len(STARTUP) + 4) + STARTUP)
        file = secured.makefile("rb")
        key = next(body for kind, body in until_ready(file) if kind == b"K")
        request = struct.pack("!ii", 16, m.CANCEL_REQUEST) + key
        secured.sendall(m.frame(b"Q", SLOW.encode() + b"\0"))
        with cancelling(lambda: plain_cancel(tls_server.port, request)):
            kind, fields = error_fields(file)
    assert kind == b"E" and fields[b"C"] == b"57014" and b"longer than" not in fields[b"M"]


@contextmanager
def cancelling(cancel: Callable[[], object]) -> Iterator[None]:
    """Call `cancel` every 0.2 s in a thread until the block ends (the query may not have
    started when the first request arrives)."""
    finished = threading.Event()

    def keep_cancelling() -> None:
        while not finished.wait(0.2):
            cancel()

    canceller = threading.Thread(target=keep_cancelling)
    canceller.start()
    try:
        yield
    finally:
        finished.set()
        canceller.join()


def plain_cancel(port: int, request: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        until_closed(sock)


def until_ready(file: BinaryIO) -> list[tuple[bytes, bytes]]:
    got = []
    while not got or got[-1][0] != b"Z":
        got.append(read_message(file))
    return got


def read_message(file: BinaryIO) -> tuple[bytes, bytes]:
    kind = file.read(1)
    (length,) = struct.unpack("!i", file.read(4))
    return kind, file.read(length - 4)


def ssl_request(sock: socket.socket) -> bytes:
    sock.sendall(struct.pack("!ii", 8, m.SSL_REQUEST))
    return sock.recv(1)


def until_closed(sock: socket.socket) -> None:
    """Read until the server ends the connection (a reset counts)."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass


def test_garbage_after_accepting_tls_fails_that_client_only(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=30) as sock:
        assert ssl_request(sock) == b"S"
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n" * 20)
        until_closed(sock)
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=30) as sock:
        assert ssl_request(sock) == b"S"
        sock.sendall(STARTUP)  # a plain start-up where the TLS handshake belongs
        until_closed(sock)
    answers_over_tls(dsn(tls_server, "require"))


def test_a_client_silent_after_the_ssl_request_is_dropped_at_the_login_deadline(lh, certificate):
    tls = server_context(certificate.cert, certificate.key)
    limits = ConnectionLimits(auth_timeout=0.5)
    with PgServer(lh, port=0, tls=tls, limits=limits) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            assert ssl_request(sock) == b"S"
            until_closed(sock)  # the server hangs up; the test's 30 s would fail it
        answers_over_tls(dsn(server, "require"))


def tls_client(port: int, cert: Path) -> ssl.SSLSocket:
    """Return a socket to the server on `port` that asked for TLS and got it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    assert ssl_request(sock) == b"S"
    context = ssl.create_default_context(cafile=cert)
    return context.wrap_socket(sock, server_hostname="127.0.0.1")


def test_gss_encryption_is_still_declined_and_tls_follows(tls_server, certificate):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=30) as sock:
        sock.sendall(struct.pack("!ii", 8, m.GSSENC_REQUEST))
        assert sock.recv(1) == b"N"
        assert ssl_request(sock) == b"S"
        context = ssl.create_default_context(cafile=certificate.cert)
        with context.wrap_socket(sock, server_hostname="localhost") as secured:
            assert secured.version() in ("TLSv1.2", "TLSv1.3")
            secured.sendall(struct.pack("!i", len(STARTUP) + 4) + STARTUP)
            assert secured.recv(1) == b"R"  # AuthenticationOk, over TLS


def test_a_second_ssl_request_inside_tls_is_not_the_protocol(tls_server, certificate):
    with tls_client(tls_server.port, certificate.cert) as secured:
        secured.sendall(struct.pack("!ii", 8, m.SSL_REQUEST))
        kind, fields = error_fields(secured.makefile("rb"))
    assert kind == b"E" and fields[b"C"] == b"08P01"


def test_stopping_ends_the_tls_clients_connected(lh, certificate):
    tls = server_context(certificate.cert, certificate.key)
    server = PgServer(lh, port=0, tls=tls).start()
    conn = psycopg.connect(dsn(server, "require"), autocommit=True)
    try:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        server.stop()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    finally:
        conn.close()
