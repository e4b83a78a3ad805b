"""The lineage graph as plain data for the doors (CLI `--json`, HTTP, the UI's graph): the
steps of a walk, and the part of the graph around one node; narrowed to what a user may read."""

from __future__ import annotations

from collections.abc import Callable

from lakebox.governance.graph import Direction, Graph, Node, Step

# Whether a user may read a table, by its identifier (`zone.name`).
Readable = Callable[[str], bool]


def everything(table: str) -> bool:
    """Let every table be read (the single-user mode and the command line)."""
    return True


def narrowed(graph: Graph, readable: Readable) -> Graph:
    """Return `graph` without the tables (and their columns) `readable` refuses, and without
    the links through them. Landing nodes follow their source's formatted table."""
    kept = Graph()
    for node in graph.nodes.values():
        if _shown(node, readable):
            kept.nodes[node.id] = node
    for key, link in graph.links.items():
        if link.source in kept.nodes and link.target in kept.nodes:
            kept.links[key] = link
    return kept


def _shown(node: Node, readable: Readable) -> bool:
    if not node.table:
        return True  # a consumer: what it reads is narrowed, not its name
    zone, _, rest = node.table.partition(".")
    table = f"formatted.{rest}" if zone == "landing" else node.table
    return readable(table)


def step_rows(steps: list[Step]) -> list[dict[str, object]]:
    """Return each step as a row: `id`, `kind`, `table`, `column`, `depth`, `how`, `via`."""
    return [
        {
            "id": step.node.id,
            "kind": step.node.kind,
            "table": step.node.table or step.node.id,
            "column": step.node.column or None,
            "depth": step.depth,
            "how": step.how,
            "via": step.via,
        }
        for step in steps
    ]


def around(
    graph: Graph, start: str, direction: Direction | None, depth: int | None
) -> dict[str, object]:
    """Return the nodes and links within `depth` of `start` (upstream, downstream or both when
    `direction` is None) at both grains: the tables reached, every column of those tables, and
    the links among them, for drawing."""
    directions: list[Direction] = [direction] if direction else ["upstream", "downstream"]
    reached = {start}
    for way in directions:
        reached |= {step.node.id for step in graph.walk(start, way, depth)}
    tables = {graph.nodes[node_id].table or node_id for node_id in reached}
    keep = {node.id for node in graph.nodes.values() if (node.table or node.id) in tables}
    nodes = [_node_row(graph.nodes[node_id]) for node_id in sorted(keep)]
    links = [
        {"source": link.source, "target": link.target, "how": link.how}
        for link in graph.links.values()
        if link.source in keep and link.target in keep
    ]
    return {"start": start, "nodes": nodes, "links": links}


def _node_row(node: Node) -> dict[str, object]:
    return {
        "id": node.id,
        "kind": node.kind,
        "label": node.label,
        "table": node.table or None,
        "column": node.column or None,
    }
