"""`lakebox lineage`: where a table's or column's values come from (upstream) or go
(downstream), through the project's sources, models and what reads them, as a tree."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    from lakebox.governance.graph import Graph, Step

NODE_HELP = (
    "A table (zone.table), a column (zone.table.column) or a consumer, e.g. "
    "dashboard:store-traffic or check:exploitation.stores/unique(store_id)."
)
DepthOption = Annotated[
    int | None,
    typer.Option("--depth", min=1, help="Follow at most this many links (default: all)."),
]


def register(app: typer.Typer) -> None:
    """Add `lakebox lineage` to `app`."""
    app.command()(lineage)


def lineage(
    node: Annotated[str, typer.Argument(help=NODE_HELP)],
    upstream: Annotated[
        bool,
        typer.Option(
            "--upstream/--downstream",
            help="Where the values come from (default), or where they go.",
        ),
    ] = True,
    depth: DepthOption = None,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Show the column lineage of a table, column or consumer: each node reached, how many
    links away and how (passed, transformed, aggregated, filtered, joined, a cleaning rule)."""
    from lakebox.governance.impact import known_node
    from lakebox.governance.views import step_rows
    from lakebox.lakehouse import open_project
    from lakebox.serving.lineage import full_graph

    output = Output(as_json=as_json)
    direction = "upstream" if upstream else "downstream"
    with open_project(project_dir) as lh:
        graph = full_graph(lh)
    start = known_node(graph, node)
    steps = graph.walk(start, direction, depth)
    output.data(step_rows(steps))
    if not as_json:
        show_tree(graph, start, direction, steps)


def show_tree(graph: Graph, start: str, direction: str, steps: list[Step]) -> None:
    """Print the walk from `start` as a tree: each node under the one it was reached from,
    with its depth and how the link between them goes."""
    from rich.markup import escape
    from rich.tree import Tree

    from lakebox.cli.render import console

    root = Tree(f"[bold]{escape(start)}[/] ({escape(graph.nodes[start].kind)}, {direction})")
    branches = {start: root}
    for step in steps:
        label = f"{escape(step.node.id)}  [dim]{step.depth} · {escape(step.how)}[/]"
        branches[step.node.id] = branches[step.via].add(label)
    console.print(root)
    if not steps:
        console.print(f"nothing {direction} of {escape(start)}", highlight=False)
