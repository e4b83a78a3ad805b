"""`lakebox` commands. Each is a thin layer over the Python API; errors are shown, not traced."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox import config as config_module
from lakebox import project
from lakebox.cli import render
from lakebox.cli.render import Output
from lakebox.config import FORMATS
from lakebox.errors import LakeboxError, RunLocked, RunTerminated
from lakebox.orchestration.spec import DEFAULT_PIPELINE

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse
    from lakebox.orchestration.report import Progress, RunReport

app = typer.Typer(
    help="lakebox: a local-first lakehouse on DuckDB over Apache Iceberg.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
source_app = typer.Typer(help="Manage the project's sources.", no_args_is_help=True)
app.add_typer(source_app, name="source")

ProjectOption = Annotated[Path, typer.Option("--project", "-p", help="The project folder.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON document for scripts.")]
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        help="If the pipeline is running elsewhere, wait this long for it (0: exit at once).",
    ),
]


TERMINATED_EXIT_CODE = 143  # 128 + SIGTERM, as a shell reports a process it ended


def main() -> None:
    """Run the CLI; a LakeboxError ends it with its message and exit code 1, a terminated
    run with 143."""
    try:
        app()
    except LakeboxError as error:
        render.show_error(error)
        sys.exit(1)
    except RunTerminated as error:  # recorded as failed; exit as a process ended by SIGTERM
        render.show_error(f"the run was {error}")
        sys.exit(TERMINATED_EXIT_CODE)


def _version(shown: bool) -> None:
    """Print `lakebox <version>` (from the installed package's metadata) and exit."""
    if not shown:
        return
    from importlib.metadata import PackageNotFoundError, version

    from lakebox.ground.version import __version__

    try:
        installed = version("lakebox")
    except PackageNotFoundError:  # run from a source tree that was never installed
        installed = __version__
    print(f"lakebox {installed}")
    raise typer.Exit()


@app.callback()
def options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """lakebox: a local-first lakehouse on DuckDB over Apache Iceberg."""


def _open(project_dir: Path) -> Lakehouse:
    from lakebox.lakehouse import open_project

    return open_project(project_dir)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path(),
    name: Annotated[str | None, typer.Option(help="The project's name.")] = None,
    quiet: QuietOption = False,
) -> None:
    """Create a commented starter project (lakebox.yaml and models/)."""
    path = project.init(directory, name)
    Output(quiet).say(f"created {path}; add a source with 'lakebox source add'")


@source_app.command("add")
def source_add(
    name: Annotated[str, typer.Argument(help="The source's name (lower-case, digits, _).")],
    kind: Annotated[
        str, typer.Option(help="files, postgres, mysql, sqlite, sql or http.")
    ] = "files",
    path: Annotated[
        str | None, typer.Option(help="files: a folder or glob, relative to the project.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Databases and http: the URL; write secrets as ${ENV_VAR}."),
    ] = None,
    table: Annotated[str | None, typer.Option(help="Databases: the table to pull.")] = None,
    query: Annotated[str | None, typer.Option(help="Databases: a query to pull.")] = None,
    cursor: Annotated[
        str | None, typer.Option(help="Pull incrementally by this column or record field.")
    ] = None,
    cursor_param: Annotated[
        str | None, typer.Option(help="http: the query parameter that sends the cursor.")
    ] = None,
    records: Annotated[
        str | None, typer.Option(help="http: the dotted path of each page's records.")
    ] = None,
    file_format: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {', '.join(FORMATS)}; default: by file extension."),
    ] = None,
    key: Annotated[str | None, typer.Option(help="Key columns, comma-separated.")] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of local times in the data.")] = "UTC",
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
) -> None:
    """Add a source to lakebox.yaml."""
    options = {
        "kind": kind,
        "path": path,
        "url": url,
        "table": table,
        "query": query,
        "records": records,
        "format": file_format,
        "key": key or [],
        "timezone": timezone,
    }
    if cursor:
        options["incremental"] = {"cursor": cursor, "param": cursor_param}
    source = config_module.source_from_options(
        {option: value for option, value in options.items() if value is not None}
    )
    project.add_source(project_dir, name, source)
    Output(quiet).say(
        f"added source {name!r}; collect it (and build the models) with 'lakebox run'"
    )


@source_app.command("list")
def source_list(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List the project's sources."""
    sources = config_module.load(project_dir).sources
    output = Output(as_json=as_json)
    output.data({name: source.model_dump(mode="json") for name, source in sources.items()})
    output.table(
        "sources",
        ["name", "kind", "from", "format", "key", "incremental by", "timezone"],
        [
            [
                name,
                s.kind,
                s.path or _shown_url(s.url or "", s.table),
                s.format or ("(by extension)" if s.kind == "files" else ""),
                ",".join(s.key),
                s.incremental.cursor if s.incremental else "",
                s.timezone,
            ]
            for name, s in sources.items()
        ],
    )


def _shown_url(url: str, table: str | None) -> str:
    from lakebox.redaction import redact_url

    return redact_url(url) + (f" ({table})" if table else "")


@app.command()
def ingest(
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeatable).")] = None,
    wait: WaitOption = 0.0,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Collect what is new in the sources (files, database and API pulls) and format it."""
    from lakebox.orchestration.runner import ingest as ingest_sources

    _run_and_report(
        project_dir,
        Output(quiet, as_json),
        lambda lh, progress: ingest_sources(lh, source, progress, wait=wait),
    )


@app.command()
def run(
    pipeline: Annotated[
        str, typer.Option(help="The pipeline to run (default: the whole data path).")
    ] = DEFAULT_PIPELINE,
    select: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these steps (repeatable): collect:SOURCE, format:SOURCE, build, "
            "MODEL, checks, forecast:NAME, anomalies. Default: every step, each doing only "
            "what is stale."
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(help="Collect and format only this source (repeatable); other steps run."),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="Rebuild models and forecasts even if fresh.")
    ] = False,
    wait: WaitOption = 0.0,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run a pipeline: collect what is new, format it, rebuild what depends on it, then the
    forecasts and anomaly rules — each step only if stale, retried and timed out as the
    pipeline says. Exits 1 if a step failed, 75 if the pipeline is already running."""
    from lakebox.orchestration.pipeline import run_pipeline

    _run_and_report(
        project_dir,
        Output(quiet, as_json),
        lambda lh, progress: run_pipeline(
            lh, pipeline, select, full_refresh, progress, wait, sources=source
        ),
    )


def _run_and_report(
    project_dir: Path,
    output: Output,
    work: Callable[[Lakehouse, Progress], RunReport],
    show: Callable[[Output, RunReport], None] | None = None,
) -> None:
    """Do `work` with progress bars, show its report (with `show`, default `show_run`),
    evaluate the alerts, exit 1 if anything failed (75 if the pipeline was locked by another
    run)."""
    from lakebox.cli.summary import show_run
    from lakebox.orchestration.scheduler import LOCKED_EXIT_CODE

    with _open(project_dir) as lh, _terminable(lh):
        try:
            with output.progress() as progress:
                report = work(lh, progress)
        except RunLocked as error:
            render.show_error(error)
            raise typer.Exit(LOCKED_EXIT_CODE) from error
        except BaseException:
            _alert(lh, output)
            raise
        _alert(lh, output)
    (show or show_run)(output, report)
    raise typer.Exit(0 if report.ok else 1)


def _alert(lh: Lakehouse, output: Output) -> None:
    """Send the alerts a run made due (failed runs, checks, anomalies), if channels exist."""
    if not lh.config.alerts.channels:
        return
    from lakebox.monitoring.alerts import evaluate

    try:
        report = evaluate(lh)
    except LakeboxError as error:
        output.warn(f"alerts: {error}")
        return
    for incident_id, error in report.failures:
        output.warn(f"alert {incident_id} not delivered: {error}")


@contextmanager
def _terminable(lh: Lakehouse) -> Iterator[None]:
    """Turn SIGTERM (a scheduler ending a run past its timeout) into `RunTerminated`, so the
    run is recorded as failed before the process ends: the handler interrupts the engine's
    query and raises; an error the run swallowed is caught between its steps, and whatever
    the run raises after the signal ends it as `RunTerminated`."""
    from lakebox.orchestration.cancel import cancelled

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        cancelled.cancel(f"terminated by signal {signum}")
        lh.engine.connection.interrupt()
        raise RunTerminated(cancelled.reason)

    cancelled.clear()
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    except BaseException as error:
        if cancelled.reason and not isinstance(error, RunTerminated):
            raise RunTerminated(cancelled.reason) from error
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="The SQL to run (DuckDB dialect).")],
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, json or parquet.")
    ] = "table",
    as_of: Annotated[
        str | None,
        typer.Option(help="A snapshot id, or an ISO time: read the tables as they were then."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    project_dir: ProjectOption = Path(),
) -> None:
    """Run one read-only statement over every zone and print the result (the same guard as
    the UI's: reading statements and the functions listed in docs/pg.md only)."""
    from lakebox.cli.results import write_result
    from lakebox.errors import QueryError
    from lakebox.ground.readonly import ensure_read_only
    from lakebox.serving.queries import explain_missing_table

    with _open(project_dir) as lh:
        checked = ensure_read_only(sql, lh.readable_places())
        try:
            result = lh.query(checked, as_of=as_of)
        except QueryError as error:
            raise explain_missing_table(error, lh.metadata_locations()) from None
    write_result(result, output_format, out)


@app.command()
def history(
    table: Annotated[
        str, typer.Argument(help="zone.table, e.g. formatted.sales, or a name only one has")
    ],
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List a table's snapshots (ids to use with 'query --as-of')."""
    from lakebox.cli.summary import show_history

    with _open(project_dir) as lh:
        show_history(Output(as_json=as_json), lh, table)


@app.command()
def tables(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List every table of every zone with its row count."""
    from lakebox.cli.summary import show_tables

    with _open(project_dir) as lh:
        show_tables(Output(as_json=as_json), lh)


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Where to build the demo project.")] = Path(
        "demo-project"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the data generators.")] = 7,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="Serve the UI and API afterwards, until Ctrl-C."),
    ] = True,
    port: Annotated[int, typer.Option(help="The HTTP port of the UI when serving.")] = 8765,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Generate the demo project, run the whole data path, print a summary, then serve the UI
    on 127.0.0.1 until Ctrl-C (`--no-serve` for scripts)."""
    from lakebox.cli.serving_options import check_port
    from lakebox.cli.summary import show_demo
    from lakebox.demo import build_demo

    if serve:
        check_port(port)
    output = Output(quiet, as_json)
    output.say(f"building the demo project in {directory} (seed {seed}) …")
    with output.progress() as progress:
        summary = build_demo(directory, seed, progress)
    show_demo(output, summary)
    if serve:
        from lakebox.cli.serve import serve as serve_project

        serve_project(port=port, project_dir=directory)


# Commands kept in modules of their own register on `app` when imported.
import lakebox.cli.alerts  # noqa: E402
import lakebox.cli.anomalies  # noqa: E402
import lakebox.cli.backfill  # noqa: E402
import lakebox.cli.checks  # noqa: E402
import lakebox.cli.dashboards  # noqa: E402
import lakebox.cli.forecast  # noqa: E402
import lakebox.cli.models  # noqa: E402
import lakebox.cli.pg  # noqa: E402
import lakebox.cli.pipelines  # noqa: E402
import lakebox.cli.profile  # noqa: E402
import lakebox.cli.reformat  # noqa: E402
import lakebox.cli.runs  # noqa: E402
import lakebox.cli.sandbox  # noqa: E402
import lakebox.cli.serve  # noqa: E402, F401
