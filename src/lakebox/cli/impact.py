"""`lakebox impact`: everything downstream of a column, table or consumer — the columns and
tables made from it, the checks, dashboards, forecasts, anomaly rules, trained models and
stream alerts that read it — to see what a schema change or a model edit would touch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lakebox.cli.lineage import NODE_HELP, DepthOption
from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output


def register(app: typer.Typer) -> None:
    """Add `lakebox impact` to `app`."""
    app.command()(impact)


def impact(
    node: Annotated[str, typer.Argument(help=NODE_HELP)],
    depth: DepthOption = None,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List everything downstream of a table, column or consumer, grouped by kind."""
    from lakebox.governance.impact import impact as downstream
    from lakebox.governance.impact import known_node
    from lakebox.lakehouse import open_project
    from lakebox.serving.lineage import full_graph

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        graph = full_graph(lh)
    found = downstream(graph, known_node(graph, node), depth)
    output.data(found)
    show_impact(output, found)


def show_impact(output: Output, found: dict[str, Any]) -> None:
    """Show each group of what lies downstream: columns by table, the rest one per row."""
    if not found["count"]:
        output.say(f"nothing downstream of {found['start']}: no column, table or consumer uses it")
        return
    output.say(f"{found['count']} downstream of {found['start']}:")
    for group in found["groups"]:
        title = f"{group['title']} ({group['count']})"
        if group["group"] == "columns":
            output.table(title, ["table", "columns"], _by_table(group["items"]))
            continue
        rows = [[item["id"], item["depth"], item["via"]] for item in group["items"]]
        output.table(title, ["name", "depth", "reached from"], rows)


def _by_table(items: list[dict[str, Any]]) -> list[list[Any]]:
    tables: dict[str, list[str]] = {}
    for item in items:
        tables.setdefault(item["table"], []).append(item["column"])
    return [[table, ", ".join(columns)] for table, columns in tables.items()]
