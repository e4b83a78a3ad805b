"""The protocol with one client: start-up and authentication, then the simple and the
extended query protocol, until the client leaves."""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lakebox.errors import LakeboxError, QueryError, WireError
from lakebox.serving.pgwire import messages as m
from lakebox.serving.pgwire import sqltext, types
from lakebox.serving.pgwire.auth import MECHANISM, ScramExchange
from lakebox.serving.pgwire.binary_format import decode_binary_parameter
from lakebox.serving.pgwire.messages import (
    ClientGone,
    Cursor,
    Message,
    MessageTooLarge,
    ProtocolViolation,
    Reader,
)
from lakebox.serving.pgwire.results import Outcome, ResultEncoder
from lakebox.serving.pgwire.session import Session, Statement
from lakebox.serving.pgwire.settings import REPORTED
from lakebox.serving.pgwire.sqlstate import sqlstate

if TYPE_CHECKING:
    from lakebox.serving.pgwire.server import PgServer

logger = logging.getLogger(__name__)
_FLUSH_AT = 1 << 20
TURN_AWAY_SECONDS = 2.0
# valid frontend messages this server does not act on: PostgreSQL ignores these copy
# messages outside COPY, and answers a function call with an error
_IGNORED = frozenset({b"d", b"c", b"f"})
_UNSUPPORTED = frozenset({b"F"})


class Refused(WireError):
    """The client may not connect (authentication failed, or an unsupported protocol)."""


@dataclass
class Portal:
    """A bound statement: its runnable SQL, result formats and, once started, its outcome."""

    sql: str
    formats: list[int]
    outcome: Outcome | None = None
    encoder: ResultEncoder | None = None
    rows_sent: int = 0
    pending: Iterator[bytes] | None = field(default=None, repr=False)
    suspended: bool = False

    def buffer(self) -> None:
        """Read the rest of a suspended portal's rows into memory (at most the row limit), so
        that the session's engine connection can run another statement."""
        if self.suspended and self.outcome is not None:
            self.outcome.batches = iter(list(self.outcome.batches))

    def close(self) -> None:
        """Drop the rows not sent yet (and stop the query's timer)."""
        if self.outcome is not None and self.outcome.stream is not None:
            self.outcome.stream.close()


class Connection:
    """Speaks the PostgreSQL v3 protocol with one client over a blocking socket."""

    def __init__(self, server: PgServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        deadline = time.monotonic() + server.auth_timeout
        self.reader = Reader(sock, limit=m.MAX_BEFORE_AUTH, deadline=deadline)
        self.out = sock.makefile("wb", buffering=_FLUSH_AT)
        self.session: Session | None = None
        self.portals: dict[str, Portal] = {}
        self.skipping = False  # after an error in the extended protocol, until Sync
        self.extended = False  # whether the last message belonged to the extended protocol

    def serve(self) -> None:
        """Run the connection to its end."""
        try:
            parameters = self._startup()
            if parameters is None:
                return
            self._authenticate(parameters)
            self.reader.open_session(self.server.max_message, self.server.idle_timeout)
            self._begin_session(parameters)
            self._loop()
        except ClientGone:
            logger.debug("client left")
        except WireError as error:  # refused, too large, not the protocol
            self._refuse(error)
        except TimeoutError:
            self._time_out()
        except (ConnectionError, OSError):
            logger.debug("client left")
        except Exception:  # a bug of ours, or garbage from the client: drop this client only
            logger.exception("pg endpoint dropped a client")
        finally:
            self._finish()

    def _time_out(self) -> None:
        """Drop a client that did not log in in time, or that stayed idle too long (telling
        the latter why, as PostgreSQL does)."""
        logger.info("pg endpoint dropped a client that was silent too long")
        if self.session is not None:
            timeout = self.server.idle_timeout
            message = f"terminating connection: idle for {timeout:g} s (the idle timeout)"
            self._refuse(Refused(message, sqlstate="25P03"))

    def turn_away(self, limit: int) -> None:
        """Answer a client beyond the connection limit: a cancel request is still served, a
        login is refused as PostgreSQL does (SQLSTATE 53300), within TURN_AWAY_SECONDS."""
        self.reader.deadline = time.monotonic() + TURN_AWAY_SECONDS
        try:
            if self._startup() is not None:
                logger.warning("pg endpoint refused a client: %d clients are connected", limit)
                raise Refused(
                    f"sorry, too many clients already ({limit} connected)",
                    hint="close idle connections (a pool's, say), or raise the connection limit",
                    sqlstate="53300",
                )
        except (Refused, MessageTooLarge) as error:
            self._refuse(error)
        except (WireError, OSError):
            logger.debug("a client beyond the connection limit left")
        finally:
            self._finish()

    def _refuse(self, error: WireError) -> None:
        code = str(error.fields.get("sqlstate", "28000"))
        with contextlib.suppress(OSError):
            self._send(m.error_response("FATAL", code, error.message))
            self._flush()

    # -- start-up --------------------------------------------------------------------------

    def _startup(self) -> dict[str, str] | None:
        while True:
            code, body = self.reader.startup()
            if code in (m.SSL_REQUEST, m.GSSENC_REQUEST):
                self.sock.sendall(b"N")
                continue
            if code == m.CANCEL_REQUEST and len(body) >= 8:
                pid, secret = struct.unpack("!ii", body[:8])
                self.server.cancel(pid, secret)
                return None
            if code != m.PROTOCOL_3:
                raise Refused(
                    f"protocol {code >> 16}.{code & 0xFFFF} is not supported", sqlstate="0A000"
                )
            return m.startup_parameters(body)

    def _authenticate(self, parameters: dict[str, str]) -> None:
        verifier = self.server.verifier
        if verifier is None:
            return
        self._send(m.authentication(10, m.cstring(MECHANISM) + b"\0"))
        self._flush()
        exchange = ScramExchange(verifier)
        initial = Cursor(self._expect(b"p").body)
        if initial.cstring() != MECHANISM:
            raise Refused("only SCRAM-SHA-256 is offered", sqlstate="28000")
        length = initial.int32()
        self._send(m.authentication(11, exchange.first(m.utf8(initial.take(length))).encode()))
        self._flush()
        final = exchange.final(m.utf8(self._expect(b"p").body))
        if final is None:
            user = parameters.get("user", "")
            raise Refused(f'password authentication failed for user "{user}"', sqlstate="28P01")
        self._send(m.authentication(12, final.encode()))

    def _expect(self, kind: bytes) -> Message:
        message = self.reader.message()
        if message.kind != kind:
            raise Refused("expected a password message", sqlstate="08P01")
        return message

    def _begin_session(self, parameters: dict[str, str]) -> None:
        pid, secret = self.server.register(self)
        self.session = Session(self.server.queries, pid, parameters.get("user", "lakebox"))
        self.session.settings["application_name"] = parameters.get("application_name", "")
        self._send(m.authentication(0))
        for name, value in REPORTED.items():
            self._send(m.parameter_status(name, value))
        self._send(m.parameter_status("application_name", parameters.get("application_name", "")))
        self._send(m.parameter_status("session_authorization", parameters.get("user", "")))
        self._send(m.backend_key_data(pid, secret))
        self._ready()

    # -- the message loop ------------------------------------------------------------------

    def _loop(self) -> None:
        handlers = {
            b"Q": self._simple_query,
            b"P": self._parse,
            b"B": self._bind,
            b"D": self._describe,
            b"E": self._execute,
            b"C": self._close,
            b"H": lambda message: self._flush(),
            b"S": lambda message: self._sync(),
        }
        while True:
            message = self.reader.message()
            if message.kind == b"X":
                return
            handler = handlers.get(message.kind)
            if handler is None:
                self._unhandled(message.kind)
                continue
            if self.skipping and message.kind != b"S":
                continue
            self.extended = message.kind not in (b"Q", b"S", b"H")
            self._guarded(handler, message)

    def _unhandled(self, kind: bytes) -> None:
        """Ignore stray copy messages, refuse a function call, and end the connection on a
        message type the protocol does not have (as PostgreSQL does)."""
        if kind in _IGNORED:
            return
        if kind not in _UNSUPPORTED:
            raise ProtocolViolation(f"invalid frontend message type {kind[0]}")
        if not self.skipping:
            self._error(QueryError("the function call protocol is not supported", sqlstate="0A000"))

    def _guarded(self, handler: Callable[[Message], None], message: Message) -> None:
        """Run a message's handler; its errors go to the client, the connection goes on."""
        try:
            handler(message)
        except LakeboxError as error:
            self._error(error)
        except (ClientGone, ConnectionError, OSError):
            raise
        except Exception:  # a bug of ours must not end the connection, nor show its insides
            logger.exception("pg endpoint failed on a %r message", message.kind)
            self._error(
                QueryError(
                    "internal error in the pg endpoint",
                    hint="the server's log has the details",
                    sqlstate="XX000",
                )
            )

    def _error(self, error: LakeboxError) -> None:
        assert self.session is not None
        self.session.failed()
        self.session.running = None
        message = _without_internals(error.message)
        self._send(m.error_response("ERROR", sqlstate(error), message, error.hint))
        self._flush()  # as PostgreSQL: the client learns of an error at once, even before Sync
        self.skipping = self.extended

    def _ready(self) -> None:
        status = self.session.status if self.session else b"I"
        self._send(m.ready_for_query(status))
        self._flush()

    # -- simple query ----------------------------------------------------------------------

    def _simple_query(self, message: Message) -> None:
        self._guarded(self._run_all, message)
        self._ready()

    def _run_all(self, message: Message) -> None:
        """Run each statement of a simple query in turn, stopping at the first error."""
        assert self.session is not None
        statements = sqltext.split_statements(Cursor(message.body).cstring())
        if not statements:
            self._send(m.EMPTY_QUERY)
        for statement in statements:
            self._buffer_suspended()
            outcome = self.session.run(statement)
            portal = Portal(statement, [], outcome)
            if outcome.schema is not None:
                portal.encoder = ResultEncoder(outcome.schema)
                self._send(m.row_description(portal.encoder.fields()))
            self._stream(portal, 0)

    # -- extended query --------------------------------------------------------------------

    def _parse(self, message: Message) -> None:
        assert self.session is not None
        body = Cursor(message.body)
        name, sql = body.cstring(), body.cstring()
        parameter_types = body.int32s(body.int16())
        if name and name in self.session.statements:
            raise QueryError(f'prepared statement "{name}" already exists', sqlstate="42P05")
        self.session.statements[name] = Statement(sql, parameter_types)
        self._send(m.PARSE_COMPLETE)

    def _bind(self, message: Message) -> None:
        assert self.session is not None
        body = Cursor(message.body)
        portal_name, statement_name = body.cstring(), body.cstring()
        statement = self._statement(statement_name)
        formats = body.int16s()
        values = []
        for _ in range(body.int16()):
            length = body.int32()
            values.append(None if length < 0 else body.take(length))
        literals = _literals(statement, formats, values)
        sql = sqltext.inline_parameters(statement.sql, literals) if literals else statement.sql
        self._drop_portal(portal_name)
        self.portals[portal_name] = Portal(sql, body.int16s())
        self._send(m.BIND_COMPLETE)

    def _drop_portal(self, name: str) -> None:
        portal = self.portals.pop(name, None)
        if portal is not None:
            portal.close()

    def _statement(self, name: str) -> Statement:
        assert self.session is not None
        statement = self.session.statements.get(name)
        if statement is None:
            raise QueryError(f'prepared statement "{name}" does not exist', sqlstate="26000")
        return statement

    def _describe(self, message: Message) -> None:
        assert self.session is not None
        body = Cursor(message.body)
        kind, name = _subtype(body, "DESCRIBE"), body.cstring()
        if kind == b"S":
            statement = self._statement(name)
            count = max(len(statement.parameter_types), sqltext.parameter_count(statement.sql))
            declared = statement.parameter_types + [0] * count
            self._send(m.parameter_description([oid or types.TEXT for oid in declared[:count]]))
            probe = sqltext.inline_parameters(statement.sql, ["NULL"] * count)
            self._buffer_suspended()
            schema = self.session.describe(probe)
            self._send(
                m.row_description(ResultEncoder(schema).fields())
                if schema is not None
                else m.NO_DATA
            )
            return
        declared = self.session.declared.open.get(name)
        if declared is not None and name not in self.portals:  # a SQL cursor, as psycopg asks
            fields = ResultEncoder(declared.stream.schema).fields()
            self._send(m.row_description(fields))
            return
        portal = self._portal(name)
        self._start(portal)
        encoder = portal.encoder
        self._send(m.row_description(encoder.fields()) if encoder is not None else m.NO_DATA)

    def _portal(self, name: str) -> Portal:
        portal = self.portals.get(name)
        if portal is None:
            raise QueryError(f'portal "{name}" does not exist', sqlstate="34000")
        return portal

    def _start(self, portal: Portal) -> None:
        assert self.session is not None
        if portal.outcome is not None:
            return
        statements = sqltext.split_statements(portal.sql)
        if not statements:
            portal.outcome = Outcome("")
            return
        if len(statements) > 1:
            raise QueryError(
                "cannot insert multiple commands into a prepared statement",
                hint="send them one by one, or as one simple query",
                sqlstate="42601",
            )
        self._buffer_suspended()
        portal.outcome = self.session.run(portal.sql)
        if portal.outcome.schema is not None:
            portal.encoder = ResultEncoder(portal.outcome.schema, portal.formats)

    def _execute(self, message: Message) -> None:
        body = Cursor(message.body)
        portal = self._portal(body.cstring())
        limit = body.int32()
        self._start(portal)
        assert portal.outcome is not None
        if portal.outcome.tag == "":
            self._send(m.EMPTY_QUERY)
            return
        self._stream(portal, limit)

    def _buffer_suspended(self) -> None:
        for portal in self.portals.values():
            portal.buffer()

    def _close(self, message: Message) -> None:
        assert self.session is not None
        body = Cursor(message.body)
        kind, name = _subtype(body, "CLOSE"), body.cstring()
        if kind == b"S":
            self.session.statements.pop(name, None)
        else:
            self._drop_portal(name)
        self._send(m.CLOSE_COMPLETE)

    def _sync(self) -> None:
        self.skipping = False
        self._drop_portal("")
        self._ready()

    # -- rows ------------------------------------------------------------------------------

    def _stream(self, portal: Portal, limit: int) -> None:
        """Send a portal's rows (all, or `limit` and then PortalSuspended) and its tag."""
        assert portal.outcome is not None and self.session is not None
        outcome = portal.outcome
        if portal.encoder is None:
            self._send(m.command_complete(outcome.tag))
            return
        if portal.pending is None:
            portal.pending = self._rows(portal, split=limit > 0)
        for sent, rows in enumerate(portal.pending, start=1):
            self._send(rows)
            if limit and sent >= limit:
                portal.suspended = True
                self._send(m.PORTAL_SUSPENDED)
                return
        portal.suspended = False
        self.session.running = None
        if outcome.stream is not None and outcome.stream.notice:
            self._send(m.notice_response(outcome.stream.notice))
        counted = outcome.tag in ("SELECT", "FETCH")
        tag = f"{outcome.tag} {portal.rows_sent}" if counted else outcome.tag
        self._send(m.command_complete(tag))

    def _rows(self, portal: Portal, split: bool) -> Iterator[bytes]:
        """Yield one DataRow at a time when the client asked for a row count, else batches."""
        assert portal.outcome is not None and portal.encoder is not None
        while (batch := next(portal.outcome.batches, None)) is not None:
            portal.rows_sent += batch.num_rows
            data = portal.encoder.encode(batch)
            if not data:
                continue
            yield from _split_rows(data) if split else (data,)

    # -- output ----------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        self.out.write(data)

    def _flush(self) -> None:
        self.out.flush()

    def _finish(self) -> None:
        for name in list(self.portals):
            self._drop_portal(name)
        if self.session is not None:
            self.server.unregister(self.session.backend_pid)
            self.session.close()
        for closing in (self.out.close, self.reader.file.close):
            with contextlib.suppress(OSError):
                closing()


def _subtype(body: Cursor, what: str) -> bytes:
    """Return the S (statement) or P (portal) of a Describe or Close message."""
    kind = body.take(1)
    if kind not in (b"S", b"P"):
        raise ProtocolViolation(f"invalid {what} message subtype {kind[0]}")
    return kind


def _without_internals(message: str) -> str:
    """Drop DuckDB's suggestions that name lakebox's private catalog schemas."""
    lines = message.splitlines()
    kept = [line for line in lines if not (line.startswith("Did you mean") and "_lakebox" in line)]
    return "\n".join(kept).strip()


def _split_rows(data: bytes) -> Iterator[bytes]:
    at = 0
    while at < len(data):
        (length,) = struct.unpack_from("!i", data, at + 1)
        yield data[at : at + 1 + length]
        at += 1 + length


def _literals(statement: Statement, formats: list[int], values: list[bytes | None]) -> list[str]:
    """Return the bound values as SQL literals, decoded by their declared types."""
    literals = []
    for index, value in enumerate(values):
        oid = statement.parameter_types[index] if index < len(statement.parameter_types) else 0
        binary = (formats[index] if len(formats) > 1 else (formats[0] if formats else 0)) == 1
        if value is None:
            literals.append("NULL")
        elif binary:
            literals.append(sqltext.literal(decode_binary_parameter(oid, value), oid))
        else:
            literals.append(sqltext.literal(m.utf8(value), oid))
    return literals
