"""`PgServer`: lakebox's PostgreSQL endpoint, one thread per client connection."""

from __future__ import annotations

import contextlib
import errno
import hmac
import itertools
import logging
import secrets
import socket
import socketserver
import ssl
import struct
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakebox.errors import PortInUse
from lakebox.lakehouse import Lakehouse
from lakebox.serving.pgwire import catalog
from lakebox.serving.pgwire import messages as m
from lakebox.serving.pgwire.login import Logins
from lakebox.serving.pgwire.settings import SETTINGS
from lakebox.serving.queries import DEFAULT_ROW_LIMIT, DEFAULT_TIMEOUT, QueryService
from lakebox.serving.security import check_token, is_loopback

if TYPE_CHECKING:
    from lakebox.serving.pgwire.connection import Connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionLimits:
    """What one client may hold: PostgreSQL's max_connections, authentication_timeout and
    idle_session_timeout (0: off), and the longest message after authentication."""

    max_connections: int = 64
    auth_timeout: float = 10.0
    idle_timeout: float = 3600.0
    max_message: int = m.DEFAULT_MAX_MESSAGE


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        logger.exception("pg endpoint: a client connection failed (%s)", client_address)


class PgServer:
    """Serves `lh` to PostgreSQL clients (psql, psycopg, JDBC, BI tools), read-only.

    Clients log in as lakebox users, with their password or an API token, where users are
    required (`require_users`; by default when binding an address other than loopback) and
    whenever lakebox.yaml has an `access:` section; the shared `token` (which another address
    needs) is the password of user `token`. On 127.0.0.1 with neither users nor a token, no
    password is needed (see `login`). Each session runs its queries as its user. With `tls` (a
    server context, see `lakebox.serving.tls`), clients must log in over TLS."""

    def __init__(
        self,
        lh: Lakehouse,
        host: str = "127.0.0.1",
        port: int = 5433,
        token: str | None = None,
        row_limit: int = DEFAULT_ROW_LIMIT,
        timeout: float = DEFAULT_TIMEOUT,
        queries: QueryService | None = None,
        limits: ConnectionLimits | None = None,
        require_users: bool | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        check_token(host, token, needs="a password")
        required = not is_loopback(host) if require_users is None else require_users
        self.limits = limits or ConnectionLimits()
        self.tls = tls
        self.lh = lh
        self.host = host
        self.queries = queries or QueryService(lh, row_limit=row_limit, timeout=timeout)
        self.logins = Logins(lh, token, required or lh.config.access is not None)
        self._connections: dict[int, tuple[int, Connection]] = {}
        self._pids = itertools.count(1000)
        self._registry = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._serving = False
        with self.queries.lock:
            _confine(lh)
            catalog.install(lh, SETTINGS)
        self._active = 0
        self._server = _listening(host, port, self._handler())
        self.port: int = self._server.server_address[1]

    @property
    def auth_timeout(self) -> float:
        return self.limits.auth_timeout

    @property
    def idle_timeout(self) -> float | None:
        return self.limits.idle_timeout or None

    @property
    def max_message(self) -> int:
        return self.limits.max_message

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                from lakebox.serving.pgwire.connection import Connection

                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.request.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                connection = Connection(server, self.request)
                if not server._admit():
                    connection.turn_away(server.limits.max_connections)
                    return
                try:
                    connection.serve()
                finally:
                    server._leave()

        return Handler

    def _admit(self) -> bool:
        """Count in a new client, or return False when `max_connections` are connected."""
        with self._registry:
            if self._active >= self.limits.max_connections:
                return False
            self._active += 1
            return True

    def _leave(self) -> None:
        with self._registry:
            self._active -= 1

    def serve_forever(self) -> None:
        """Serve until `stop()` (or Ctrl-C in the calling thread)."""
        with self._registry:
            if self._stopped:
                return
            self._serving = True
        logger.info("pg endpoint on %s:%d", self.host, self.port)
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> PgServer:
        """Serve in a background thread and return at once."""
        self._thread = threading.Thread(target=self.serve_forever, name="lakebox-pg", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting clients, cancel running queries and close the listening socket."""
        with self._registry:
            if self._stopped:
                return
            self._stopped = True
            serving = self._serving
        if serving:  # shutdown() waits for a serve_forever that never began
            self._server.shutdown()
        self._server.server_close()
        with self._registry:
            connections = [connection for _, connection in self._connections.values()]
        for connection in connections:
            if connection.session is not None:
                connection.session.cancel()
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- backends and cancel requests ------------------------------------------------------

    def register(self, connection: Connection) -> tuple[int, int]:
        """Return a new backend (pid, secret key) for `connection`."""
        secret = secrets.randbits(31)
        with self._registry:
            pid = next(self._pids)
            self._connections[pid] = (secret, connection)
        return pid, secret

    def unregister(self, pid: int) -> None:
        with self._registry:
            self._connections.pop(pid, None)

    def cancel(self, pid: int, secret: int) -> None:
        """Interrupt the running query of backend `pid` if `secret` is its key."""
        with self._registry:
            known = self._connections.get(pid)
        if known is None:
            return
        expected, connection = known
        matches = hmac.compare_digest(struct.pack("!i", expected), struct.pack("!i", secret))
        if matches and connection.session is not None:
            logger.info("cancelling the query of backend %d", pid)
            connection.session.cancel()


def _listening(host: str, port: int, handler: type[socketserver.BaseRequestHandler]) -> _TCPServer:
    """Return the server listening on `host`:`port`, or raise PortInUse."""
    try:
        return _TCPServer((host, port), handler, bind_and_activate=True)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise PortInUse(
            f"port {port} on {host} is in use by another program",
            hint="stop that program, or choose another port with --port",
            host=host,
            port=port,
        ) from None


def _confine(lh: Lakehouse) -> None:
    """Let SQL read the project's files only (as `lakebox serve` does), unless done already."""
    external = lh.engine.connection.execute(
        "SELECT current_setting('enable_external_access')"
    ).fetchone()
    if external and external[0] in (True, "true"):
        lh.engine.confine(lh.project_places())
