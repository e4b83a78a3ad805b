"""A client's start-up: SSL requests accepted when the server has TLS (and then required) or
declined, GSS requests declined, cancel requests passed on, the protocol version checked,
SCRAM-SHA-256 authentication, and the parameters a new session reports."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import BinaryIO

from lakebox.access.principal import Principal
from lakebox.errors import AuthError, WireError
from lakebox.serving.pgwire import messages as m
from lakebox.serving.pgwire.auth import MECHANISM, ScramExchange
from lakebox.serving.pgwire.login import HINT as LOGIN_HINT
from lakebox.serving.pgwire.login import Logins
from lakebox.serving.pgwire.messages import Cursor, Message, Reader
from lakebox.serving.pgwire.settings import REPORTED


class Refused(WireError):
    """The client may not connect (authentication failed, or an unsupported protocol)."""


NEEDS_TLS = "this server requires TLS (sslmode=require)"


def startup(
    reader: Reader,
    sock: socket.socket,
    cancel: Callable[[int, int], None],
    secure: Callable[[], Reader] | None = None,
) -> dict[str, str] | None:
    """Return the start-up parameters of a client that logs in, or None for a cancel request
    (passed on to `cancel`, with or without TLS).

    With `secure` (the server has TLS), an SSL request is answered by it ('S' and the TLS
    handshake; it returns the reader of the encrypted stream, on which the start-up goes on),
    and a client that logs in without TLS is refused. Without it, SSL requests get 'N'."""
    secured = False
    while True:
        code, body = reader.startup()
        if code in (m.SSL_REQUEST, m.GSSENC_REQUEST):
            if secured:
                raise Refused("a second encryption request is not the protocol", sqlstate="08P01")
            if code == m.SSL_REQUEST and secure is not None:
                reader, secured = secure(), True
            else:
                sock.sendall(b"N")
            continue
        if code == m.CANCEL_REQUEST and len(body) >= 8:
            pid, secret = struct.unpack("!ii", body[:8])
            cancel(pid, secret)
            return None
        _check_protocol(code)
        if secure is not None and not secured:
            raise Refused(NEEDS_TLS, sqlstate="28000")
        return m.startup_parameters(body)


def _check_protocol(code: int) -> None:
    if code != m.PROTOCOL_3:
        raise Refused(f"protocol {code >> 16}.{code & 0xFFFF} is not supported", sqlstate="0A000")


def authenticate(
    reader: Reader,
    out: BinaryIO,
    logins: Logins,
    parameters: dict[str, str],
    client: str | None = None,
) -> Principal:
    """Run the SCRAM-SHA-256 exchange with the client (none where no login is needed) and
    return whom its session runs as; raise Refused when its password or token is wrong, or
    while too many of its logins failed."""
    if not logins.needed:
        return logins.local()
    user = parameters.get("user", "")
    try:
        attempt = logins.attempt(user, client)
    except AuthError as error:
        raise Refused(error.message, hint=error.hint, sqlstate="28000") from None
    try:
        final = _exchange(reader, out, ScramExchange(attempt.salt, attempt.verifiers))
    except BaseException:
        logins.abandoned(attempt)  # the client left (or broke the protocol) before its proof
        raise
    principal = logins.succeeded(attempt) if final is not None else None
    if final is None or principal is None:
        logins.failed(attempt)
        message = f'password authentication failed for user "{user}"'
        raise Refused(message, hint=LOGIN_HINT, sqlstate="28P01")
    out.write(m.authentication(12, final.encode()))
    return principal


def _exchange(reader: Reader, out: BinaryIO, exchange: ScramExchange) -> str | None:
    """Run the SCRAM exchange; return the server's final message, or None for a wrong proof."""
    out.write(m.authentication(10, m.cstring(MECHANISM) + b"\0"))
    out.flush()
    initial = Cursor(_expect(reader, b"p").body)
    if initial.cstring() != MECHANISM:
        raise Refused("only SCRAM-SHA-256 is offered", sqlstate="28000")
    length = initial.int32()
    out.write(m.authentication(11, exchange.first(m.utf8(initial.take(length))).encode()))
    out.flush()
    return exchange.final(m.utf8(_expect(reader, b"p").body))


def _expect(reader: Reader, kind: bytes) -> Message:
    message = reader.message()
    if message.kind != kind:
        raise Refused("expected a password message", sqlstate="08P01")
    return message


def welcome(out: BinaryIO, parameters: dict[str, str], pid: int, secret: int) -> None:
    """Tell a logged-in client so: AuthenticationOk, the reported parameters and the key that
    cancels its queries."""
    out.write(m.authentication(0))
    for name, value in REPORTED.items():
        out.write(m.parameter_status(name, value))
    out.write(m.parameter_status("application_name", parameters.get("application_name", "")))
    out.write(m.parameter_status("session_authorization", parameters.get("user", "")))
    out.write(m.backend_key_data(pid, secret))
