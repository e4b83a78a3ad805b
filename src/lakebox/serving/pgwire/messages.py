"""The PostgreSQL v3 wire format: reading frontend messages, building backend messages."""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

from lakebox.errors import WireError

PROTOCOL_3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP = 10_000  # a startup packet, as PostgreSQL's MAX_STARTUP_PACKET_LENGTH
MAX_BEFORE_AUTH = 10_000  # a password message: SCRAM's are a few hundred bytes
# after authentication: a long Query or a Bind with large parameters, not a GiB (a BI tool's
# largest message is a few hundred kB; PostgreSQL itself allows 1 GB)
DEFAULT_MAX_MESSAGE = 16 << 20


class ClientGone(WireError):
    """The client closed the connection (or sent something that is not the protocol)."""


class MessageTooLarge(WireError):
    """The client announced a message longer than the server accepts at this stage."""


class ProtocolViolation(WireError):
    """A message's body is not what its type says (truncated, a string without its end)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message, hint="the client does not speak the PostgreSQL protocol", sqlstate="08P01"
        )


def utf8(data: bytes) -> str:
    """Return `data` decoded as UTF-8, or raise the error PostgreSQL gives (SQLSTATE 22021)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise WireError(
            f'invalid byte sequence for encoding "UTF8": 0x{bad}',
            hint="send text in UTF-8 (the server's and the client's encoding)",
            sqlstate="22021",
        ) from None


@dataclass
class Message:
    """One frontend message: its type byte and its body."""

    kind: bytes
    body: bytes


class Reader:
    """Reads frontend messages from a socket, buffered, refusing a message longer than `limit`
    from its length alone (nothing of it is read), and, while `deadline` (a time.monotonic()
    value) is set, every byte after it: a client that sends too slowly is cut off."""

    def __init__(
        self, sock: socket.socket, limit: int = MAX_BEFORE_AUTH, deadline: float | None = None
    ) -> None:
        self.sock = sock
        self.file = sock.makefile("rb", buffering=65536)
        self.limit = limit
        self.deadline = deadline

    def open_session(self, limit: int, idle_timeout: float | None) -> None:
        """Lift the deadline and the small limit of authentication: from now on, messages
        may be `limit` bytes long and the client may stay silent for `idle_timeout` seconds
        (None: for ever)."""
        self.limit = limit
        self.deadline = None
        self.sock.settimeout(idle_timeout)

    def exactly(self, count: int) -> bytes:
        """Return the next `count` bytes; raise ClientGone at end of stream, TimeoutError past
        the deadline or the idle timeout."""
        if self.deadline is None:
            data = self.file.read(count)
        else:
            data = self._before(self.deadline, count)
        if data is None or len(data) != count:
            raise ClientGone("the client closed the connection")
        return data

    def _before(self, deadline: float, count: int) -> bytes:
        """Return up to `count` bytes read before `deadline` (fewer at end of stream)."""
        parts: list[bytes] = []
        missing = count
        while missing:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the client did not log in in time")
            self.sock.settimeout(left)
            chunk = self.file.read1(missing)
            if not chunk:
                break
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def startup(self) -> tuple[int, bytes]:
        """Return the code and body of a startup-phase message (no type byte)."""
        (length,) = struct.unpack("!i", self.exactly(4))
        if length < 8:
            raise ClientGone(f"a startup message of {length} bytes is not the protocol")
        _check_length(length, MAX_STARTUP, "a startup packet")
        body = self.exactly(length - 4)
        return struct.unpack("!i", body[:4])[0], body[4:]

    def message(self) -> Message:
        """Return the next typed message."""
        kind = self.exactly(1)
        (length,) = struct.unpack("!i", self.exactly(4))
        if length < 4:
            raise ClientGone(f"a message of {length} bytes is not the protocol")
        stage = "before authentication" if self.deadline is not None else "a message"
        _check_length(length, self.limit, stage)
        return Message(kind, self.exactly(length - 4))


def _check_length(length: int, limit: int, what: str) -> None:
    if length > limit:
        raise MessageTooLarge(
            f"a message of {length:,} bytes is longer than this server accepts "
            f"({what}: at most {limit:,} bytes)",
            hint="send smaller statements or parameters, or raise the server's message limit",
            sqlstate="54000",
        )


class Cursor:
    """Walks a message body: C strings, integers and byte runs."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.at = 0

    def cstring(self) -> str:
        end = self.body.find(b"\0", self.at)
        if end < 0:
            raise ProtocolViolation("invalid string in message")
        text = utf8(self.body[self.at : end])
        self.at = end + 1
        return text

    def int16(self) -> int:
        (value,) = struct.unpack("!h", self.take(2))
        return int(value)

    def int32(self) -> int:
        (value,) = struct.unpack("!i", self.take(4))
        return int(value)

    def take(self, count: int) -> bytes:
        if count < 0 or self.at + count > len(self.body):
            raise ProtocolViolation("insufficient data left in message")
        data = self.body[self.at : self.at + count]
        self.at += count
        return data

    def int16s(self) -> list[int]:
        return [self.int16() for _ in range(self.int16())]

    def int32s(self, count: int) -> list[int]:
        return [self.int32() for _ in range(count)]


def startup_parameters(body: bytes) -> dict[str, str]:
    """Return the key/value pairs of a StartupMessage body."""
    parts = body.split(b"\0")
    pairs = [part.decode("utf-8", "replace") for part in parts]
    return {pairs[i]: pairs[i + 1] for i in range(0, len(pairs) - 1, 2) if pairs[i]}


def frame(kind: bytes, body: bytes = b"") -> bytes:
    """Return a backend message: type byte, length, body."""
    return kind + struct.pack("!i", len(body) + 4) + body


def cstring(text: str) -> bytes:
    return text.encode("utf-8") + b"\0"


def authentication(code: int, data: bytes = b"") -> bytes:
    return frame(b"R", struct.pack("!i", code) + data)


def parameter_status(name: str, value: str) -> bytes:
    return frame(b"S", cstring(name) + cstring(value))


def backend_key_data(pid: int, secret: int) -> bytes:
    return frame(b"K", struct.pack("!ii", pid, secret))


def ready_for_query(status: bytes) -> bytes:
    return frame(b"Z", status)


def command_complete(tag: str) -> bytes:
    return frame(b"C", cstring(tag))


def error_response(severity: str, code: str, message: str, hint: str | None = None) -> bytes:
    fields = [b"S", cstring(severity), b"V", cstring(severity), b"C", cstring(code)]
    fields += [b"M", cstring(message)]
    if hint:
        fields += [b"H", cstring(hint)]
    return frame(b"E", b"".join(fields) + b"\0")


def notice_response(message: str) -> bytes:
    fields = [b"S", cstring("NOTICE"), b"V", cstring("NOTICE"), b"C", cstring("01000")]
    return frame(b"N", b"".join([*fields, b"M", cstring(message)]) + b"\0")


@dataclass(frozen=True)
class Field:
    """One column of a RowDescription."""

    name: str
    type_oid: int
    type_size: int = -1
    type_modifier: int = -1
    format: int = 0


def row_description(fields: list[Field]) -> bytes:
    parts = [struct.pack("!h", len(fields))]
    for field in fields:
        parts.append(cstring(field.name))
        parts.append(
            struct.pack(
                "!ihihih", 0, 0, field.type_oid, field.type_size, field.type_modifier, field.format
            )
        )
    return frame(b"T", b"".join(parts))


def parameter_description(oids: list[int]) -> bytes:
    return frame(b"t", struct.pack(f"!h{len(oids)}i", len(oids), *oids))


def data_row(cells: list[bytes | None]) -> bytes:
    parts = [struct.pack("!h", len(cells))]
    for cell in cells:
        if cell is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            parts.append(struct.pack("!i", len(cell)) + cell)
    return frame(b"D", b"".join(parts))


PARSE_COMPLETE = frame(b"1")
BIND_COMPLETE = frame(b"2")
CLOSE_COMPLETE = frame(b"3")
NO_DATA = frame(b"n")
EMPTY_QUERY = frame(b"I")
PORTAL_SUSPENDED = frame(b"s")
