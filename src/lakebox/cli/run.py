"""`lakebox ingest` and `lakebox run`, and how a command runs work of the pipeline: with progress
bars, under SIGTERM handling, its alerts sent and its report shown (`lakebox reformat` too)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli import render
from lakebox.cli.options import JsonOption, ProjectOption, QuietOption, WaitOption
from lakebox.cli.render import Output
from lakebox.config.pipelines import DEFAULT_PIPELINE
from lakebox.errors import LakeboxError, RunLocked, RunTerminated

if TYPE_CHECKING:
    from lakebox.ground.reporter import Reporter
    from lakebox.lakehouse import Lakehouse
    from lakebox.orchestration.report import RunReport


def register(app: typer.Typer) -> None:
    """Add `lakebox ingest` and `lakebox run` to `app`."""
    app.command()(ingest)
    app.command()(run)


def ingest(
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeatable).")] = None,
    wait: WaitOption = 0.0,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Collect what is new in the sources (files, database and API pulls) and format it."""
    from lakebox.orchestration.runner import ingest as ingest_sources

    run_and_report(
        project_dir,
        Output(quiet, as_json),
        lambda lh, reporter: ingest_sources(lh, source, reporter, wait=wait),
        audited=f"ingest: sources {', '.join(source) if source else 'all'}",
    )


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

    steps = ", ".join(select) if select else "every step, each if stale"
    run_and_report(
        project_dir,
        Output(quiet, as_json),
        lambda lh, reporter: run_pipeline(
            lh, pipeline, select, full_refresh, reporter, wait, sources=source
        ),
        audited=f"pipeline {pipeline}: steps {steps}"
        + (f"; sources {', '.join(source)}" if source else "")
        + ("; full refresh" if full_refresh else ""),
    )


def run_and_report(
    project_dir: Path,
    output: Output,
    work: Callable[[Lakehouse, Reporter], RunReport],
    show: Callable[[Output, RunReport], None] | None = None,
    *,
    audited: str = "run",
) -> None:
    """Do `work` with progress bars, show its report (with `show`, default `show_run`),
    evaluate the alerts, exit 1 if anything failed (75 if the pipeline was locked by another
    run). The run is written to the audit log as the login's, `audited` saying what ran."""
    from lakebox.cli.summary import show_run, vanished_users
    from lakebox.lakehouse import open_project
    from lakebox.orchestration.scheduler import LOCKED_EXIT_CODE

    with open_project(project_dir) as lh, _terminable(lh):
        audit = RunAudit(lh, audited)
        try:
            with output.progress() as reporter:
                report = work(lh, reporter)
        except RunLocked as error:
            audit.failed(error, output)
            render.show_error(error)
            raise typer.Exit(LOCKED_EXIT_CODE) from error
        except BaseException as error:
            audit.failed(error, output)
            _alert(lh, output)
            raise
        audit.done(report)
        _alert(lh, output)
        users = vanished_users(lh, report)
    if show is None:
        show_run(output, report, users)
    else:
        show(output, report)
    raise typer.Exit(0 if report.ok else 1)


class RunAudit:
    """The audit log's entry of one run of the command line: action `run`, door `cli`, the
    login as its user. Starting one notes a change of lakebox.yaml's access section."""

    def __init__(self, lh: Lakehouse, detail: str) -> None:
        from lakebox.access.changes import note_config
        from lakebox.access.control import access_control

        self.control = access_control(lh)
        self.detail = detail
        self.started = time.monotonic()
        note_config(self.control)

    def done(self, report: RunReport) -> None:
        """Record the run as it ended: ok, or failed with its first error."""
        error = report.error
        detail = f"{self.detail}; run {report.run_id}" + (f": {error}" if error else "")
        self._record("ok" if report.ok else "failed", detail)

    def failed(self, error: BaseException, output: Output) -> None:
        """Record a run that raised `error` (a warning if even that cannot be written)."""
        try:
            self._record("failed", f"{self.detail}: {error or type(error).__name__}")
        except Exception as failure:  # the run's own error is the one to show
            output.warn(f"the run could not be written to the audit log: {failure}")

    def _record(self, outcome: str, detail: str) -> None:
        from lakebox.access.local import cli_entry

        elapsed = round((time.monotonic() - self.started) * 1000, 3)
        entry = cli_entry("run", duration_ms=elapsed, outcome=outcome, detail=detail)
        self.control.record(entry)
        self.control.audit.flush()


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
