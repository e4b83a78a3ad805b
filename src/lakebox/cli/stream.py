"""`lakebox stream`: run a stream's worker, send it events, show its status, replay it."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output

stream_app = typer.Typer(
    help="The hot path: run a stream's worker, send events, show status, replay.",
    no_args_is_help=True,
)
NameArgument = Annotated[
    str, typer.Argument(help="The stream's name (see streams: in lakebox.yaml).")
]
STATUS_COLUMNS = [
    "stream",
    "intake",
    "running",
    "events",
    "refused",
    "late",
    "rate/s",
    "lag",
    "watermark",
]


def register(app: typer.Typer) -> None:
    """Add the `lakebox stream` commands to `app`."""
    app.add_typer(stream_app, name="stream")


@stream_app.command("run")
def run_command(
    name: NameArgument,
    until_idle: Annotated[
        bool,
        typer.Option("--until-idle", help="Stop once the intake has nothing more (then flush)."),
    ] = False,
    parent: Annotated[
        int | None,
        typer.Option(
            "--parent",
            help="Stop (after a flush) once process PID has ended, as the workers 'lakebox "
            "serve' starts do (it passes its own).",
        ),
    ] = None,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
) -> None:
    """Run the stream's worker: read its intake, compute windows, averages and alerts, and
    flush every event to landing, until interrupted (Ctrl-C or SIGTERM flush first)."""
    from lakebox.lakehouse import open_project
    from lakebox.stream.intakes import intake_for
    from lakebox.stream.worker import Worker

    output = Output(quiet=quiet)
    stop = threading.Event()
    for sign in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sign, lambda *_: stop.set())
    if parent is not None:
        _watch_parent(stop, parent)
    with open_project(project_dir) as lh, output.progress() as reporter:
        worker = Worker(lh, name, intake_for(lh, name), reporter=reporter)
        worker.run(stop, until_idle=until_idle)
    events = sum(flush.events for flush in worker.flushes)
    output.say(f"{name}: {events} events flushed in {len(worker.flushes)} batches")


def _watch_parent(stop: threading.Event, parent: int) -> None:
    """Set `stop` once process `parent` is no longer this one's parent (it ended, and this
    process was adopted by another), also if that happened before this one looked."""

    def watch() -> None:
        while os.getppid() == parent and not stop.wait(1.0):
            pass
        stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@stream_app.command("send")
def send_command(
    name: NameArgument,
    file: Annotated[
        Path, typer.Argument(help="NDJSON events (one JSON object per line), or a JSON array.")
    ],
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Send a file of events to an HTTP stream's intake (as a POST to /api/streams/NAME/events
    would), when no 'lakebox serve' holds it."""
    from lakebox.lakehouse import open_project
    from lakebox.stream.intakes.http import HttpIntake, read_events_file

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        intake = HttpIntake(lh, name)
        try:
            accepted = read_events_file(intake, file)
        finally:
            intake.close()
    output.data(vars(accepted))
    output.say(f"{name}: {accepted.accepted} accepted, {accepted.refused} refused")
    for error in accepted.errors[:10]:
        output.warn(f"{file}:{int(str(error['index'])) + 1}: {error['reason']}")


@stream_app.command("status")
def status_command(
    name: Annotated[str | None, typer.Argument(help="One stream (default: every stream).")] = None,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Show each stream's worker state, counts, rate, lag and watermark."""
    from lakebox.errors import StreamError
    from lakebox.lakehouse import open_project
    from lakebox.stream.status import read_status

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        names = [name] if name else sorted(lh.config.streams)
        if name and name not in lh.config.streams:
            raise StreamError(f"no stream named {name!r}")
        statuses = [(lh.config.streams[n].intake.kind, read_status(lh, n)) for n in names]
    output.data([{"intake": kind, **vars(status)} for kind, status in statuses])
    rows = [
        [
            s.name,
            kind,
            "yes" if s.running else "no",
            s.events_in,
            s.refused,
            s.late,
            f"{s.rate:.0f}",
            s.lag,
            s.watermark or "",
        ]
        for kind, s in statuses
    ]
    output.table("streams", STATUS_COLUMNS, rows)


@stream_app.command("replay")
def replay_command(
    name: NameArgument,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Recompute the stream's window tables and checkpoints from formatted.NAME (the cold
    path), after formatting what was landed; the worker must be stopped."""
    from lakebox.lakehouse import open_project
    from lakebox.stream.replay import replay

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh, output.progress() as reporter:
        report = replay(lh, name, reporter)
    output.data(vars(report))
    tables = ", ".join(f"{window}: {rows} rows" for window, rows in report.rows.items())
    output.say(f"{name}: replayed {report.events} events ({report.late} late); {tables}")
