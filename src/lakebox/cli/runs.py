"""`lakebox runs`: the recent runs from `ops.runs`, or the steps of one run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output
from lakebox.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add `lakebox runs` to `app`."""
    app.command()(runs)


def runs(
    run_id: Annotated[str | None, typer.Argument(help="Show the steps of this run.")] = None,
    limit: Annotated[int, typer.Option(help="How many recent runs to show.")] = 20,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List the recent runs (status, duration, rows, peak memory, error), or one run's steps."""
    from lakebox.lakehouse import open_project
    from lakebox.orchestration import history

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        if run_id is None:
            show_runs(output, history.recent(lh, limit))
            return
        steps = history.run_steps(lh, run_id)
    if not steps:
        raise ConfigError(f"no run {run_id!r} in ops.runs", hint="list runs with 'lakebox runs'")
    show_steps(output, run_id, steps)


def show_runs(output: Output, found: list[dict]) -> None:
    """Show runs newest first."""
    output.data(found)
    if not found:
        output.say("no runs recorded yet: 'lakebox run' records each run in ops.runs")
        return
    output.table(
        "runs",
        [
            "run",
            "pipeline",
            "command",
            "started",
            "seconds",
            "status",
            "rows in",
            "rows out",
            "peak MB",
            "error",
        ],
        [
            [
                row["run_id"],
                row["pipeline"],
                row["command"],
                f"{row['started_at']:%Y-%m-%d %H:%M:%S}",
                f"{row['seconds']:.1f}",
                row["status"],
                row["rows_in"],
                row["rows_out"],
                f"{(row['peak_memory_bytes'] or 0) / 2**20:.0f}",
                row["error"] or "",
            ]
            for row in found
        ],
    )


def show_steps(output: Output, run_id: str, steps: list[dict]) -> None:
    """Show the steps of one run in the order they started."""
    output.data(steps)
    output.table(
        f"run {run_id}",
        ["step", "kind", "seconds", "status", "rows in", "rows out", "bytes", "error"],
        [
            [
                row["step"],
                row["kind"],
                f"{row['seconds']:.2f}",
                row["status"],
                row["rows_in"],
                row["rows_out"],
                row["bytes"],
                row["error"] or "",
            ]
            for row in steps
        ],
    )
