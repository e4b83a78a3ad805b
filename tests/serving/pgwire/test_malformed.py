"""Malformed messages after logging in get PostgreSQL's answers (checked against PostgreSQL
16 with the same bytes), never an internal error or silence; spoken with raw sockets."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from lakebox.serving.pgwire import PgServer
from lakebox.serving.pgwire import messages as m

STARTUP = struct.pack("!i", m.PROTOCOL_3) + b"user\0raw\0database\0lakebox\0\0"


class Client:
    """A logged-in raw connection that reads whole backend messages."""

    def __init__(self, server: PgServer) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.reading = self.sock.makefile("rb")
        self.sock.sendall(struct.pack("!i", len(STARTUP) + 4) + STARTUP)
        assert self.until(b"Z")[-1][0] == b"Z"

    def send(self, kind: bytes, body: bytes) -> None:
        self.sock.sendall(m.frame(kind, body))

    def until(self, last: bytes) -> list[tuple[bytes, bytes]]:
        """Return the messages up to one whose type is in `last` (or the end of the stream)."""
        got = []
        while kind := self.reading.read(1):
            (length,) = struct.unpack("!i", self.reading.read(4))
            got.append((kind, self.reading.read(length - 4)))
            if kind in last:
                break
        return got

    def ended(self) -> bool:
        """Whether the server closed the connection (the socket's timeout ends the wait)."""
        return self.reading.read(1) == b""


def fields(message: tuple[bytes, bytes]) -> dict[bytes, str]:
    kind, body = message
    assert kind == b"E", message
    return {part[:1]: part[1:].decode() for part in body.split(b"\0") if part}


@pytest.fixture
def client(server: PgServer) -> Iterator[Client]:
    connected = Client(server)
    yield connected
    connected.sock.close()


def test_an_empty_query_string_gets_empty_query_response(client):
    client.send(b"Q", b"\0")
    assert [kind for kind, _ in client.until(b"Z")] == [b"I", b"Z"]


def test_a_query_message_without_its_string_is_a_protocol_violation(client):
    client.sock.sendall(b"Q\0\0\0\x04")
    error, ready = client.until(b"Z")
    assert fields(error)[b"C"] == "08P01" and fields(error)[b"S"] == "ERROR"
    assert "Error" not in fields(error)[b"M"] and ready[0] == b"Z"
    client.send(b"Q", b"SELECT 1\0")
    assert [kind for kind, _ in client.until(b"Z")] == [b"T", b"D", b"C", b"Z"]


def test_a_query_in_invalid_utf8_gets_22021_and_the_session_goes_on(client):
    client.send(b"Q", b"SELECT '\xff'\0")
    error, _ready = client.until(b"Z")
    assert fields(error)[b"C"] == "22021"
    assert fields(error)[b"M"] == 'invalid byte sequence for encoding "UTF8": 0xff'
    client.send(b"Q", b"SELECT 1\0")
    assert [kind for kind, _ in client.until(b"Z")][-2:] == [b"C", b"Z"]


def test_a_truncated_bind_is_answered_at_once_and_sync_recovers(client):
    client.send(b"B", b"\0\0\0")
    (error,) = client.until(b"E")  # answered before any Sync, as PostgreSQL does
    assert fields(error)[b"C"] in ("08P01", "26000")
    client.send(b"S", b"")
    assert client.until(b"Z")[-1][0] == b"Z"


def test_a_bind_whose_value_runs_past_the_message_is_a_protocol_violation(client):
    client.send(b"P", b"\0SELECT $1::INTEGER\0\0\0")
    client.send(b"B", b"\0\0\0\0\0\x01\0\0\0\x09" + b"12")
    client.send(b"S", b"")
    got = client.until(b"Z")
    assert [kind for kind, _ in got] == [b"1", b"E", b"Z"]
    assert fields(got[1])[b"C"] == "08P01" and "Error" not in fields(got[1])[b"M"]


def test_an_unknown_message_type_is_fatal_and_closes(client):
    client.send(b"\0", b"")
    (error,) = client.until(b"E")
    assert (fields(error)[b"S"], fields(error)[b"C"]) == ("FATAL", "08P01")
    assert fields(error)[b"M"] == "invalid frontend message type 0"
    assert client.ended()


def test_stray_copy_messages_are_ignored_as_postgres_does(client):
    client.send(b"d", b"xyz")
    client.send(b"c", b"")
    client.send(b"Q", b"SELECT 1\0")
    assert [kind for kind, _ in client.until(b"Z")] == [b"T", b"D", b"C", b"Z"]


@pytest.mark.parametrize("kind", [b"D", b"C"])
def test_a_describe_or_close_of_no_known_subtype_is_a_protocol_violation(client, kind):
    client.send(kind, b"X\0")
    client.send(b"S", b"")
    error, ready = client.until(b"Z")
    assert fields(error)[b"C"] == "08P01" and "subtype" in fields(error)[b"M"]
    assert ready[0] == b"Z"
