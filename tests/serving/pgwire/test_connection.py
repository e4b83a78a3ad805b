"""The protocol spoken by hand: what libpq never sends (row counts on Execute, Close, Flush,
SSL and GSS requests) and the start-up of a client without a driver."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from lakebox.serving.pgwire import messages as m


class RawClient:
    """A bare PostgreSQL client: sends frontend messages, reads backend ones."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")

    def startup(self) -> list[tuple[bytes, bytes]]:
        body = struct.pack("!i", m.PROTOCOL_3) + b"user\0raw\0database\0lakebox\0\0"
        self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
        return self.until_ready()

    def send(self, kind: bytes, body: bytes = b"") -> None:
        self.sock.sendall(m.frame(kind, body))

    def read(self) -> tuple[bytes, bytes]:
        kind = self.file.read(1)
        (length,) = struct.unpack("!i", self.file.read(4))
        return kind, self.file.read(length - 4)

    def until_ready(self) -> list[tuple[bytes, bytes]]:
        got = []
        while True:
            message = self.read()
            got.append(message)
            if message[0] == b"Z":
                return got

    def close(self) -> None:
        self.send(b"X")
        self.file.close()
        self.sock.close()


@pytest.fixture
def client(server) -> Iterator[RawClient]:
    raw = RawClient(server.port)
    yield raw
    raw.close()


def kinds(messages: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(kind for kind, _ in messages)


def test_startup_reports_parameters_and_a_backend_key(client):
    got = client.startup()
    assert kinds(got)[0:1] == b"R" and b"K" in kinds(got) and got[-1] == (b"Z", b"I")
    reported = {body.split(b"\0")[0]: body.split(b"\0")[1] for kind, body in got if kind == b"S"}
    assert reported[b"server_version"] == b"15.0 (lakebox)"
    assert reported[b"standard_conforming_strings"] == b"on"


def test_ssl_and_gss_requests_are_declined(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        for code in (m.SSL_REQUEST, m.GSSENC_REQUEST):
            sock.sendall(struct.pack("!ii", 8, code))
            assert sock.recv(1) == b"N"


def test_execute_with_a_row_count_suspends_the_portal(client):
    client.startup()
    client.send(b"P", b"\0SELECT * FROM range($1::INTEGER)\0" + struct.pack("!hi", 1, 23))
    client.send(b"B", b"p1\0\0" + struct.pack("!hhi", 0, 1, 1) + b"5" + struct.pack("!h", 0))
    client.send(b"D", b"Pp1\0")
    client.send(b"E", b"p1\0" + struct.pack("!i", 2))
    client.send(b"H")
    first = [client.read() for _ in range(6)]  # 1 2 T D D s
    assert kinds(first) == b"12TDDs"
    client.send(b"E", b"p1\0" + struct.pack("!i", 0))
    client.send(b"C", b"Pp1\0")
    client.send(b"S")
    rest = client.until_ready()
    assert kinds(rest) == b"DDDC3Z"
    assert rest[3][1] == b"SELECT 5\0"


def test_describe_statement_gives_parameter_and_row_types(client):
    client.startup()
    client.send(b"P", b"s1\0SELECT $1 AS a, 2::BIGINT AS b\0" + struct.pack("!h", 0))
    client.send(b"D", b"Ss1\0")
    client.send(b"S")
    got = client.until_ready()
    assert kinds(got) == b"1tTZ"
    assert got[1][1] == struct.pack("!hi", 1, 25)
    client.send(b"Q", b"SELECT 1; SELECT 'two'\0")
    assert kinds(client.until_ready()) == b"TDCTDCZ"


def test_an_error_skips_to_sync_and_the_connection_goes_on(client):
    client.startup()
    client.send(b"P", b"\0SELEC 1\0\0\0")
    client.send(b"B", b"\0\0\0\0\0\0\0\0")
    client.send(b"E", b"\0\0\0\0\0")
    client.send(b"S")
    got = client.until_ready()
    assert kinds(got) == b"12EZ"  # the SQL is checked when it runs
    fields = {part[:1]: part[1:] for part in got[2][1].split(b"\0") if part}
    assert fields[b"C"] == b"42601" and fields[b"S"] == b"ERROR"
    client.send(b"Q", b"\0")
    assert kinds(client.until_ready()) == b"IZ"


def test_another_statement_may_run_while_a_portal_is_suspended(client):
    client.startup()
    client.send(b"P", b"\0SELECT * FROM range(5)\0\0\0")
    client.send(b"B", b"p1\0\0\0\0\0\0\0\0")
    client.send(b"E", b"p1\0" + struct.pack("!i", 2))
    client.send(b"P", b"\0SELECT 42\0\0\0")
    client.send(b"B", b"p2\0\0\0\0\0\0\0\0")
    client.send(b"E", b"p2\0\0\0\0\0")
    client.send(b"E", b"p1\0\0\0\0\0")
    client.send(b"S")
    got = client.until_ready()
    assert kinds(got) == b"12DDs12DC" + b"DDDC" + b"Z"
    assert got[7][1].endswith(b"42") and got[-2][1] == b"SELECT 5\0"


def test_a_named_portal_ends_with_the_implicit_transaction_at_sync(client):
    client.startup()
    client.send(b"P", b"\0SELECT * FROM range(5)\0\0\0")
    client.send(b"B", b"p1\0\0\0\0\0\0\0\0")
    client.send(b"E", b"p1\0" + struct.pack("!i", 2))
    client.send(b"S")
    assert kinds(client.until_ready()) == b"12DDsZ"
    client.send(b"E", b"p1\0\0\0\0\0")
    client.send(b"S")
    got = client.until_ready()
    assert kinds(got) == b"EZ" and b'portal "p1" does not exist' in got[0][1]
