"""`lakebox demo`: generate the demo project, run its whole data path and serve its UI, with
the demo's air-quality fleet posting to its stream every second."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, QuietOption
from lakebox.cli.render import Output
from lakebox.cli.serving_options import token_in

if TYPE_CHECKING:
    from lakebox.demo.fleet import StreamSummary
    from lakebox.demo.generators.air_quality import Incident


def register(app: typer.Typer) -> None:
    """Add `lakebox demo` to `app`."""
    app.command()(demo)


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
    on 127.0.0.1 until Ctrl-C, the air-quality fleet posting to its stream every second
    (`--no-serve` for scripts)."""
    from lakebox.cli.serving_options import check_port
    from lakebox.cli.summary import show_demo
    from lakebox.demo import build_demo

    if serve:
        check_port(port)
    output = Output(quiet, as_json)
    output.say(f"building the demo project in {directory} (seed {seed}) …")
    with output.progress() as reporter:
        summary = build_demo(directory, seed, reporter)
    show_demo(output, summary)
    show_stream(output, summary.stream)
    if serve:
        from lakebox.cli.serve import serve as serve_project
        from lakebox.demo.fleet import live_poster

        with live_poster(directory, f"http://127.0.0.1:{port}", token_in("LAKEBOX_TOKEN")):
            output.say("the air-quality fleet posts a reading per device every second")
            serve_project(port=port, project_dir=directory)


def show_stream(output: Output, stream: StreamSummary | None) -> None:
    """Show what the demo's backlog put through its stream: windows and alerts."""
    if stream is None:
        return
    output.say(
        f"stream {stream.name}: {stream.events} events from {stream.start:%Y-%m-%d %H:%M} to "
        f"{stream.end:%Y-%m-%d %H:%M} UTC (every {stream.step_seconds:g} s) through its HTTP "
        f"intake and worker in {stream.seconds:.1f} s"
    )
    output.table(
        "stream window tables", ["table", "rows"], [list(item) for item in stream.windows.items()]
    )
    output.table(
        "incidents planted in the fleet's readings",
        ["kind", "device", "room", "from (UTC)", "to (UTC)"],
        [_incident_row(item) for item in stream.planted],
    )
    output.table(
        "alerts of the stream's rules (ops.alerts)",
        ["rule", "device", "status"],
        [list(alert) for alert in stream.alerts],
    )


def _incident_row(incident: Incident) -> list[str]:
    """Return a planted incident as a row: kind, device, room, from, to."""
    from lakebox.demo.generators.air_quality import device

    start, end = (f"{moment:%Y-%m-%d %H:%M}" for moment in (incident.start, incident.end))
    return [incident.kind, incident.device, device(incident.device).room, start, end]
