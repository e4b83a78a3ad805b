"""Options `lakebox serve` and `lakebox pg` share: where to bind, the token, query limits, the
pg endpoint's connection limits, TLS, and the check that the port is free before serving."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.errors import ConfigError, PortInUse

if TYPE_CHECKING:
    import ssl

    from lakebox.serving.pgwire import ConnectionLimits

HostOption = Annotated[
    str,
    typer.Option(help="The address to bind; on another than 127.0.0.1 every request needs a user."),
]
RowLimitOption = Annotated[int, typer.Option(help="The most rows a query returns.")]
TimeoutOption = Annotated[float, typer.Option(help="Seconds a query may run.")]
MAX_CONNECTIONS_HELP = "The most PostgreSQL clients connected at once; more are refused."
IDLE_TIMEOUT_HELP = "Seconds a logged-in PostgreSQL client may stay silent (0: for ever)."
MAX_MESSAGE_HELP = "The longest message (statement, parameters) a PostgreSQL client may send, MB."
TlsCertOption = Annotated[
    Path | None,
    typer.Option(help="Serve TLS with this PEM certificate (and its chain); needs --tls-key."),
]
TlsKeyOption = Annotated[
    Path | None,
    typer.Option(help="The PEM private key (unencrypted) of --tls-cert; needs --tls-cert."),
]


def token_in(token_env: str) -> str | None:
    """Return the token held by environment variable `token_env`, or None if it is unset or
    empty."""
    return os.environ.get(token_env) or None


def pg_limits(max_connections: int, idle_timeout: float, max_message_mb: int) -> ConnectionLimits:
    """Return the pg endpoint's connection limits from the command line's options."""
    from lakebox.serving.pgwire import ConnectionLimits

    return ConnectionLimits(
        max_connections=max_connections,
        idle_timeout=idle_timeout,
        max_message=max_message_mb << 20,
    )


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """Return the TLS context of --tls-cert and --tls-key, or None when neither is given;
    raise ConfigError when only one is, or when a file is not right (checked before binding)."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        given, missing = ("--tls-cert", "--tls-key") if key is None else ("--tls-key", "--tls-cert")
        raise ConfigError(
            f"{given} needs {missing}",
            hint="give both the certificate and its private key, or neither (no TLS)",
            field=missing,
        )
    from lakebox.serving.tls import server_context

    return server_context(cert, key)


PORTS = range(1, 65536)


def check_port(port: int, option: str = "--port") -> None:
    """Raise ConfigError unless `port` is one a server can listen on (1–65535)."""
    if port not in PORTS:
        raise ConfigError(
            f"{option} must be 1–65535, not {port}",
            hint=f"pick a free port, e.g. {option} 8765",
            field=option,
        )


def check_ports(port: int, pg_port: int | None) -> None:
    """Raise ConfigError unless the HTTP port and the PostgreSQL port (if any) are valid and
    apart."""
    check_port(port)
    if pg_port is None:
        return
    check_port(pg_port, "--pg-port")
    if pg_port == port:
        raise ConfigError(
            f"--port and --pg-port must differ (both are {port})",
            hint="the HTTP and PostgreSQL endpoints each need a port of their own",
            field="--pg-port",
        )


def listening_socket(host: str, port: int, option: str = "--port") -> socket.socket:
    """Return a socket bound to `host`:`port` and listening, or raise PortInUse saying which
    option picks another port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise in_use(host, port, option) from None
        raise ConfigError(
            f"cannot listen on {host}:{port}: {error.strerror}",
            hint=f"check --host and {option}: the address must be one of this machine's",
        ) from None
    sock.set_inheritable(True)
    return sock


def in_use(host: str, port: int, option: str) -> PortInUse:
    """Return the error for a busy port, naming the option that picks another."""
    return PortInUse(
        f"port {port} on {host} is in use by another program",
        hint=f"stop that program, or serve on another port with {option} <port>",
        host=host,
        port=port,
    )
