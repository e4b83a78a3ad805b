"""`lakebox demo`: generate the demo project, run its whole data path and serve its UI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.options import JsonOption, QuietOption
from lakebox.cli.render import Output


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
    on 127.0.0.1 until Ctrl-C (`--no-serve` for scripts)."""
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
    if serve:
        from lakebox.cli.serve import serve as serve_project

        serve_project(port=port, project_dir=directory)
