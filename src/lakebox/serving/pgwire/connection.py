"""The protocol with one client: start-up and authentication (`handshake`), then the message
loop of the simple and the extended query protocol (`extended`), until the client leaves or
outstays the limits."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lakebox.errors import LakeboxError, QueryError, WireError
from lakebox.serving.pgwire import handshake, sqltext
from lakebox.serving.pgwire import messages as m
from lakebox.serving.pgwire.commands import IDLE
from lakebox.serving.pgwire.extended import ExtendedQuery
from lakebox.serving.pgwire.handshake import Refused
from lakebox.serving.pgwire.login import DOOR
from lakebox.serving.pgwire.messages import (
    ClientGone,
    Cursor,
    Message,
    MessageTooLarge,
    ProtocolViolation,
    Reader,
)
from lakebox.serving.pgwire.portals import Portal, stream
from lakebox.serving.pgwire.results import ResultEncoder
from lakebox.serving.pgwire.session import Session
from lakebox.serving.pgwire.sqlstate import sqlstate
from lakebox.serving.tls import accept, hang_up

if TYPE_CHECKING:
    from lakebox.access.principal import Principal
    from lakebox.serving.pgwire.server import PgServer

logger = logging.getLogger(__name__)
_FLUSH_AT = 1 << 20
TURN_AWAY_SECONDS = 2.0
# valid frontend messages this server does not act on: PostgreSQL ignores these copy
# messages outside COPY, and answers a function call with an error
_IGNORED = frozenset({b"d", b"c", b"f"})
_UNSUPPORTED = frozenset({b"F"})


class Connection:
    """Speaks the PostgreSQL v3 protocol with one client over a blocking socket."""

    def __init__(self, server: PgServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.client = _address(sock)
        deadline = time.monotonic() + server.auth_timeout
        self.reader = Reader(sock, limit=m.MAX_BEFORE_AUTH, deadline=deadline)
        self.out = sock.makefile("wb", buffering=_FLUSH_AT)
        self.session: Session | None = None
        self.extended_query = ExtendedQuery(self)
        self.skipping = False  # after an error in the extended protocol, until Sync
        self.extended = False  # whether the last message belonged to the extended protocol

    def serve(self) -> None:
        """Run the connection to its end."""
        try:
            parameters = self._startup()
            if parameters is None:
                return
            logins = self.server.logins
            principal = handshake.authenticate(
                self.reader, self.out, logins, parameters, self.client
            )
            self.reader.open_session(self.server.max_message, self.server.idle_timeout)
            self._begin_session(parameters, principal)
            self._loop()
        except ClientGone:
            logger.debug("client left")
        except ssl.SSLError as error:
            logger.info("pg endpoint dropped a client whose TLS failed: %s", error.reason)
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
            self.send(m.error_response("FATAL", code, error.message, error.hint))
            self.flush()

    def _startup(self) -> dict[str, str] | None:
        secure = self._secure if self.server.tls is not None else None
        return handshake.startup(self.reader, self.sock, self.server.cancel, secure)

    def _secure(self) -> Reader:
        """Answer an SSL request with 'S' and take the TLS handshake before the log-in
        deadline; return the reader of the encrypted stream, which the connection uses from
        now on (a new one: nothing the client sent in plain is ever taken as sent in TLS)."""
        assert self.server.tls is not None and self.reader.deadline is not None
        self.sock.sendall(b"S")
        for closing in (self.out.close, self.reader.file.close):
            closing()
        self.sock = accept(self.server.tls, self.sock, self.reader.deadline)
        self.reader = Reader(self.sock, limit=self.reader.limit, deadline=self.reader.deadline)
        self.out = self.sock.makefile("wb", buffering=_FLUSH_AT)
        return self.reader

    def _begin_session(self, parameters: dict[str, str], principal: Principal) -> None:
        pid, secret = self.server.register(self)
        queries = self.server.queries.as_user(principal, DOOR, self.client)
        self.session = Session(queries, pid, parameters.get("user", "lakebox"))
        self.session.settings["application_name"] = parameters.get("application_name", "")
        handshake.welcome(self.out, parameters, pid, secret)
        self.ready()

    # -- the message loop ------------------------------------------------------------------

    def _loop(self) -> None:
        extended = self.extended_query
        handlers = {
            b"Q": self._simple_query,
            b"P": extended.parse,
            b"B": extended.bind,
            b"D": extended.describe,
            b"E": extended.execute,
            b"C": extended.close,
            b"H": lambda message: self.flush(),
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
        self.send(m.error_response("ERROR", sqlstate(error), message, error.hint))
        self.flush()  # as PostgreSQL: the client learns of an error at once, even before Sync
        self.skipping = self.extended

    def ready(self) -> None:
        """Send ReadyForQuery with the session's transaction status, and flush."""
        status = self.session.status if self.session else b"I"
        self.send(m.ready_for_query(status))
        self.flush()

    def _sync(self) -> None:
        """End the implicit transaction: as in PostgreSQL, its portals (named ones too, which
        would otherwise pile up, each holding a query) end with it, unless a transaction
        block is open."""
        self.skipping = False
        if self.session is not None and self.session.status == IDLE:
            self.extended_query.drop_all()
        else:
            self.extended_query.drop("")
        self.ready()

    # -- simple query ----------------------------------------------------------------------

    def _simple_query(self, message: Message) -> None:
        self._guarded(self._run_all, message)
        self.ready()

    def _run_all(self, message: Message) -> None:
        """Run each statement of a simple query in turn, stopping at the first error."""
        assert self.session is not None
        statements = sqltext.split_statements(Cursor(message.body).cstring())
        if not statements:
            self.send(m.EMPTY_QUERY)
        for statement in statements:
            self.extended_query.buffer_suspended()
            outcome = self.session.run(statement)
            portal = Portal(statement, [], outcome)
            if outcome.schema is not None:
                portal.encoder = ResultEncoder(outcome.schema)
                self.send(m.row_description(portal.encoder.fields()))
            stream(portal, 0, self.session, self.send)

    # -- output ----------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write a message to the client (buffered until `flush`)."""
        self.out.write(data)

    def flush(self) -> None:
        """Send what is buffered."""
        self.out.flush()

    def _finish(self) -> None:
        self.extended_query.drop_all()
        if self.session is not None:
            self.server.unregister(self.session.backend_pid)
            self.session.close()
        for closing in (self.out.close, self.reader.file.close, lambda: hang_up(self.sock)):
            with contextlib.suppress(OSError):
                closing()


def _address(sock: socket.socket) -> str | None:
    """Return the client's IP address (None once it is gone)."""
    try:
        return str(sock.getpeername()[0])
    except (OSError, IndexError):
        return None


def _without_internals(message: str) -> str:
    """Drop DuckDB's suggestions that name lakebox's private catalog schemas."""
    lines = message.splitlines()
    kept = [line for line in lines if not (line.startswith("Did you mean") and "_lakebox" in line)]
    return "\n".join(kept).strip()
