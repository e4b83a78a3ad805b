"""`lakebox serve`: the HTTP API on 127.0.0.1 (another address needs a token)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.app import ProjectOption, app
from lakebox.cli.render import Output
from lakebox.cli.serving_options import HostOption, RowLimitOption, TimeoutOption, token_in
from lakebox.errors import ConfigError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="The HTTP port.")] = 8765,
    host: HostOption = "127.0.0.1",
    token_env: Annotated[
        str, typer.Option(help="The environment variable holding the bearer token.")
    ] = "LAKEBOX_TOKEN",
    row_limit: RowLimitOption = 10_000,
    timeout: TimeoutOption = 30.0,
    pg_port: Annotated[
        int | None,
        typer.Option(help="Also serve PostgreSQL clients on this port (see 'lakebox pg')."),
    ] = None,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run the pipelines that have a schedule when due (as 'lakebox scheduler').",
        ),
    ] = True,
    project_dir: ProjectOption = Path(),
) -> None:
    """Serve the HTTP API and the UI (OpenAPI docs at /docs), run the scheduled pipelines,
    and with --pg-port serve the PostgreSQL endpoint beside them, until Ctrl-C."""
    import uvicorn

    from lakebox.cli.pg import pg_address
    from lakebox.serving.api import create_app
    from lakebox.serving.pgwire import PgServer

    token = token_in(token_env)
    if host not in LOCAL_HOSTS and not token:
        raise ConfigError(
            f"binding {host} needs a token",
            hint=f"export {token_env}=<a long random secret>; clients send it as a bearer token",
        )
    from lakebox.cli.pipelines import start_scheduler
    from lakebox.demo.live import demo_services
    from lakebox.lakehouse import open_project

    output = Output()
    with open_project(project_dir) as lh, demo_services(lh.project_dir, output.say):
        api = create_app(lh, token, row_limit=row_limit, timeout=timeout)
        output.say(f"serving {lh.project_dir} at http://{host}:{port} (API docs: /docs)")
        pg_server = None
        if pg_port is not None:
            pg_server = PgServer(lh, host, pg_port, token, row_limit=row_limit, timeout=timeout)
            output.say(f"PostgreSQL clients: {pg_address(host, pg_server.port)}")
            pg_server.start()
        running = start_scheduler(lh, output) if scheduler else None
        try:
            uvicorn.run(api, host=host, port=port, log_level="warning")
        finally:
            if running is not None:
                running.stop()
            if pg_server is not None:
                pg_server.stop()
