"""`lakebox pg`: the PostgreSQL wire endpoint alone (psql, drivers, BI tools), read-only."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import ProjectOption
from lakebox.cli.render import Output
from lakebox.cli.serving_options import (
    IDLE_TIMEOUT_HELP,
    MAX_CONNECTIONS_HELP,
    MAX_MESSAGE_HELP,
    HostOption,
    RowLimitOption,
    TimeoutOption,
    TlsCertOption,
    TlsKeyOption,
    check_port,
    pg_limits,
    tls_context,
    token_in,
)

if TYPE_CHECKING:
    from lakebox.serving.pgwire import PgServer


def register(app: typer.Typer) -> None:
    """Add `lakebox pg` to `app`."""
    app.command()(pg)


def pg(
    port: Annotated[int, typer.Option(help="The PostgreSQL port.")] = 5433,
    host: HostOption = "127.0.0.1",
    token_env: Annotated[
        str, typer.Option(help="The environment variable holding the token (the password).")
    ] = "LAKEBOX_TOKEN",
    row_limit: RowLimitOption = 10_000,
    timeout: TimeoutOption = 30.0,
    max_connections: Annotated[int, typer.Option(help=MAX_CONNECTIONS_HELP)] = 64,
    idle_timeout: Annotated[float, typer.Option(help=IDLE_TIMEOUT_HELP)] = 3600.0,
    max_message_mb: Annotated[int, typer.Option(help=MAX_MESSAGE_HELP)] = 16,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    project_dir: ProjectOption = Path(),
) -> None:
    """Serve the lakehouse to PostgreSQL clients (psql, psycopg, JDBC, BI tools) until Ctrl-C;
    with --tls-cert and --tls-key, over TLS only."""
    from lakebox.access.changes import note_config
    from lakebox.access.control import access_control
    from lakebox.lakehouse import open_project
    from lakebox.serving.pgwire import PgServer
    from lakebox.serving.security import check_token, is_loopback

    check_port(port)
    token = token_in(token_env)
    check_token(host, token, token_env, needs="a token (the password)")
    limits = pg_limits(max_connections, idle_timeout, max_message_mb)
    required = not is_loopback(host)  # users must log in (as with an access: section)
    tls = tls_context(tls_cert, tls_key)
    with open_project(project_dir) as lh:
        note_config(access_control(lh))  # audit an edit of the access: section
        server = PgServer(
            lh,
            host,
            port,
            token,
            row_limit=row_limit,
            timeout=timeout,
            limits=limits,
            require_users=required,
            tls=tls,
        )
        address = pg_address(host, server.port, tls=tls is not None)
        Output().say(f"serving {lh.project_dir} to PostgreSQL clients at {address}")
        _stop_on_signals(server)
        try:
            server.serve_forever()
        finally:
            server.stop()


def _stop_on_signals(server: PgServer) -> None:
    """Stop serving on Ctrl-C or SIGTERM (from another thread, as serve_forever requires)."""

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.stop, name="lakebox-pg-stop").start()

    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, stop)


def pg_address(host: str, port: int, tls: bool = False) -> str:
    """Return a connection URL for psql (`psql <url>`), asking for TLS when the server has it."""
    return f"postgresql://{host}:{port}/lakebox" + ("?sslmode=require" if tls else "")
