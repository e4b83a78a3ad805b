"""`lakebox pipelines` (what is declared, when it is next due) and `lakebox scheduler` (run
the scheduled pipelines in the foreground until Ctrl-C)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse
    from lakebox.orchestration.scheduler import Scheduler


def register(app: typer.Typer) -> None:
    """Add `lakebox pipelines` and `lakebox scheduler` to `app`."""
    app.command()(pipelines)
    app.command()(scheduler)


def pipelines(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List the pipelines: steps, schedule, when each is next due and how its last run went."""
    from dataclasses import asdict

    from lakebox.lakehouse import open_project
    from lakebox.orchestration.overview import pipelines as overview

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        found = overview(lh)
    output.data([asdict(status) for status in found])
    output.table(
        "pipelines",
        ["pipeline", "steps", "schedule", "next run (UTC)", "last run", "status"],
        [
            [
                status.name,
                "; ".join(status.steps),
                status.schedule or "",
                f"{status.next_run:%Y-%m-%d %H:%M:%S}" if status.next_run else "",
                f"{status.last_started_at:%Y-%m-%d %H:%M:%S}" if status.last_started_at else "",
                status.last_status or "",
            ]
            for status in found
        ],
    )


def scheduler(project_dir: ProjectOption = Path(), quiet: QuietOption = False) -> None:
    """Run the pipelines that have a `schedule:` when they are due, each as its own process
    (as 'lakebox serve' does beside the UI), until Ctrl-C."""
    from lakebox.demo.live import demo_services
    from lakebox.lakehouse import open_project

    output = Output(quiet)
    with open_project(project_dir) as lh, demo_services(lh.project_dir, output.say):
        running = start_scheduler(lh, output)
        if running is None:
            output.warn("no pipeline has a schedule: add 'schedule:' to one (docs/pipelines.md)")
            raise typer.Exit(1)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        try:
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            output.say("stopping the scheduler …")
            running.stop()


def start_scheduler(lh: Lakehouse, output: Output) -> Scheduler | None:
    """Start the scheduler of `lh`'s project in a background thread and say what it will
    run; return it, or None when no pipeline has a schedule."""
    from lakebox.orchestration.history import latest_by_pipeline
    from lakebox.orchestration.scheduler import Scheduler

    last = {name: run["started_at"] for name, run in latest_by_pipeline(lh).items()}
    found = Scheduler(lh.project_dir, lh.config, output.say, last)
    if not found.schedules:
        return None
    for name, due in sorted(found.first_runs().items()):
        every = found.schedules[name].text
        output.say(f"scheduled: {name} ({every}), next at {due:%Y-%m-%d %H:%M:%S} UTC")
    return found.start()
