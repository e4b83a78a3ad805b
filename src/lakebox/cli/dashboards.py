"""`lakebox dashboards`: the project's dashboards, each validated (and, with --run, tried)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox import config as config_module
from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    from lakebox.serving.dashboards import Entry


def register(app: typer.Typer) -> None:
    """Add `lakebox dashboards` to `app`."""
    app.command()(dashboards)


def dashboards(
    run_now: Annotated[
        bool,
        typer.Option("--run", help="Also run every chart once with its filters' defaults."),
    ] = False,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List the dashboards in dashboards/*.yaml and validate them (exit 1 if one is invalid)."""
    from lakebox.serving.dashboards import FOLDER, DashboardFolder

    config_module.load(project_dir)  # a project folder, or the usual error
    output = Output(as_json=as_json)
    entries = DashboardFolder(project_dir / FOLDER).entries()
    failed = _tried(project_dir, entries) if run_now else {}
    found = [_described(entry, failed.get(entry.name, {})) for entry in entries]
    output.data(found)
    output.table(
        "dashboards",
        ["name", "title", "filters", "charts", "status"],
        [[d["name"], d["title"], d["filters"], d["charts"], _status(d)] for d in found],
    )
    if not entries:
        output.say(f"no dashboards: add YAML files under {FOLDER}/ (see docs/dashboards.md)")
    raise typer.Exit(1 if any(d["error"] or d["failed_charts"] for d in found) else 0)


def _tried(project_dir: Path, entries: list[Entry]) -> dict[str, dict[str, str]]:
    from lakebox.lakehouse import open_project
    from lakebox.serving.dashboards.running import try_charts
    from lakebox.serving.queries import QueryService

    with open_project(project_dir) as lh:
        queries = QueryService(lh)
        return {
            entry.name: try_charts(entry.dashboard, queries)
            for entry in entries
            if entry.dashboard is not None
        }


def _described(entry: Entry, failed_charts: dict[str, str]) -> dict[str, Any]:
    from lakebox.serving.dashboards import FOLDER

    board = entry.dashboard
    return {
        "name": entry.name,
        "file": f"{FOLDER}/{entry.path.name}",
        "title": board.title if board else None,
        "filters": len(board.filters) if board else 0,
        "charts": len(board.charts) if board else 0,
        "error": str(entry.error) if entry.error else None,
        "failed_charts": failed_charts,
    }


def _status(described: dict[str, Any]) -> str:
    if described["error"]:
        return f"invalid: {described['error']}"
    failed = described["failed_charts"]
    if failed:
        return "; ".join(f"chart {name!r} failed: {why}" for name, why in failed.items())
    return "ok"
