"""`lakebox serve`: the HTTP API on 127.0.0.1 (on another address every request needs a user)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import TERMINATED_EXIT_CODE, ProjectOption
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
    check_ports,
    in_use,
    listening_socket,
    pg_limits,
    tls_context,
    token_in,
)
from lakebox.errors import PortInUse

if TYPE_CHECKING:
    import ssl

    import uvicorn

    from lakebox.lakehouse import Lakehouse
    from lakebox.serving.pgwire import ConnectionLimits, PgServer
    from lakebox.stream.supervisor import StreamWorkers


def register(app: typer.Typer) -> None:
    """Add `lakebox serve` to `app`."""
    app.command()(serve)


def serve(
    port: Annotated[int, typer.Option(help="The HTTP port.")] = 8765,
    host: HostOption = "127.0.0.1",
    token_env: Annotated[
        str, typer.Option(help="The environment variable holding the bearer token.")
    ] = "LAKEBOX_TOKEN",
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Another name clients may reach the server by (the Host header), e.g. a "
            "proxy's; repeatable; '*' accepts any.",
        ),
    ] = None,
    row_limit: RowLimitOption = 10_000,
    timeout: TimeoutOption = 30.0,
    pg_port: Annotated[
        int | None,
        typer.Option(help="Also serve PostgreSQL clients on this port (see 'lakebox pg')."),
    ] = None,
    pg_max_connections: Annotated[int, typer.Option(help=MAX_CONNECTIONS_HELP)] = 64,
    pg_idle_timeout: Annotated[float, typer.Option(help=IDLE_TIMEOUT_HELP)] = 3600.0,
    pg_max_message_mb: Annotated[int, typer.Option(help=MAX_MESSAGE_HELP)] = 16,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run the pipelines that have a schedule when due (as 'lakebox scheduler').",
        ),
    ] = True,
    streams: Annotated[
        bool,
        typer.Option(
            "--streams/--no-streams",
            help="Run a worker per stream of lakebox.yaml (as 'lakebox stream run NAME').",
        ),
    ] = True,
    project_dir: ProjectOption = Path(),
) -> None:
    """Serve the HTTP API and the UI (OpenAPI docs at /docs), run the scheduled pipelines
    and the streams' workers, and with --pg-port serve the PostgreSQL endpoint beside them,
    until Ctrl-C; with --tls-cert and --tls-key, both over TLS (HTTPS)."""
    import uvicorn

    from lakebox.access.changes import note_config
    from lakebox.access.control import access_control
    from lakebox.cli.pg import pg_address
    from lakebox.serving.app import create_app
    from lakebox.serving.security import allowed_hosts, check_token, is_loopback

    check_ports(port, pg_port)
    token = token_in(token_env)
    check_token(host, token, token_env)
    tls = tls_context(tls_cert, tls_key)
    listening = listening_socket(host, port)
    from lakebox.cli.pipelines import start_scheduler
    from lakebox.demo.live import demo_services
    from lakebox.lakehouse import open_project

    output = Output()
    limits = pg_limits(pg_max_connections, pg_idle_timeout, pg_max_message_mb)
    with listening, open_project(project_dir) as lh, demo_services(lh.project_dir, output.say):
        note_config(access_control(lh))  # audit an edit of the access: section
        hosts = allowed_hosts(host, allowed_host or [])
        required = not is_loopback(host)  # users must log in (as with an access: section)
        limited: dict[str, Any] = {"row_limit": row_limit, "timeout": timeout}
        secured = tls is not None
        api = create_app(
            lh, token, allowed_hosts=hosts, require_users=required, tls=secured, **limited
        )
        pg_server = None
        if pg_port is not None:
            pg_server = _pg_beside(lh, host, pg_port, token, limits, tls=tls, **limited)
        scheme = "https" if secured else "http"
        output.say(f"serving {lh.project_dir} at {scheme}://{host}:{port} (API docs: /docs)")
        if pg_server is not None:
            output.say(f"PostgreSQL clients: {pg_address(host, pg_server.port, tls=secured)}")
            pg_server.start()
        running = start_scheduler(lh, output) if scheduler else None
        workers = _stream_workers(lh, output) if streams else None
        signal.signal(signal.SIGTERM, _stop_serving)
        try:
            config = uvicorn_config(api, host, port, tls_cert, tls_key)
            uvicorn.Server(config).run(sockets=[listening])
        except KeyboardInterrupt:  # uvicorn raises the Ctrl-C it caught once it has stopped
            pass
        finally:
            if workers is not None:
                workers.stop()
            if running is not None:
                running.stop()
            if pg_server is not None:
                pg_server.stop()


def uvicorn_config(
    api: Any, host: str, port: int, tls_cert: Path | None = None, tls_key: Path | None = None
) -> uvicorn.Config:
    """Return how uvicorn serves `api`: over TLS with the certificate and key (both or
    neither, checked by tls_context), and taking the client's address from the connection,
    never from X-Forwarded-For (which any client could set, to dodge the login limit or
    forge its address in the audit log)."""
    import uvicorn

    return uvicorn.Config(
        api,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=3,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        proxy_headers=False,
        forwarded_allow_ips="",
    )


def _stop_serving(signum: int, frame: object) -> None:
    """End the server on SIGTERM as on Ctrl-C, so the workers and servers beside it stop."""
    raise SystemExit(TERMINATED_EXIT_CODE)


def _stream_workers(lh: Lakehouse, output: Output) -> StreamWorkers | None:
    """Start a worker process per declared stream; None when there is none."""
    from lakebox.stream.supervisor import StreamWorkers

    names = sorted(lh.config.streams)
    return StreamWorkers(lh.project_dir, names, output.say).start() if names else None


def _pg_beside(
    lh: Lakehouse,
    host: str,
    port: int,
    token: str | None,
    limits: ConnectionLimits,
    tls: ssl.SSLContext | None = None,
    **query_limits: Any,
) -> PgServer:
    """Return the pg endpoint served beside the HTTP API (not started yet), over TLS when
    `tls` is given."""
    from lakebox.serving.pgwire import PgServer
    from lakebox.serving.security import is_loopback

    try:
        required = not is_loopback(host)
        return PgServer(
            lh, host, port, token, limits=limits, require_users=required, tls=tls, **query_limits
        )
    except PortInUse:
        raise in_use(host, port, "--pg-port") from None
