"""The lineage graph as plain data for the doors (CLI `--json`, HTTP, the UI's graph): the
steps of a walk, and the part of the graph around one node; narrowed to what a user may read.

A dashboard's or a chart's name is not data, so it stays when its tables go. A check's id
(`check:<zone.table>/<check>`) names its table and the columns it checks, so it goes with its
table, and with any column it reads that the user is not granted. A forecast, an anomaly rule,
a trained model and a stream's alert go when they read nothing the user may read: their pages
hide them from such a user, and their names are those of tables (`analytics.forecast_<name>`,
a stream's `landing.<stream>`)."""

from __future__ import annotations

from collections.abc import Callable

from lakebox.access.principal import Principal
from lakebox.catalog import TableRef
from lakebox.governance.graph import Direction, Graph, Node, Step

CHECK = "check:"
# Consumers shown only to a user who reads something they read.
GUARDED = ("forecast", "anomaly", "trained", "alert")

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
    return without(kept, _unread_consumers(graph, kept))


def _unread_consumers(graph: Graph, kept: Graph) -> set[str]:
    """Return the guarded consumers that read something in `graph` but nothing in `kept`."""
    reading = {link.target for link in graph.links.values()}
    still = {link.target for link in kept.links.values()}
    return {
        node.id
        for node in kept.nodes.values()
        if node.kind in GUARDED and node.id in reading and node.id not in still
    }


def _shown(node: Node, readable: Readable) -> bool:
    if node.kind == "check" and node.id.startswith(CHECK):
        return readable(check_table(node.id))  # its id names its table and columns
    if not node.table:
        return True  # a consumer: what it reads is narrowed, not its name
    zone, _, rest = node.table.partition(".")
    table = f"formatted.{rest}" if zone == "landing" else node.table
    return readable(table)


def check_table(node_id: str) -> str:
    """Return the table (`zone.table`) a check's id `check:<zone.table>/<check>` names."""
    return node_id.removeprefix(CHECK).partition("/")[0]


def readable_by(graph: Graph, principal: Principal) -> Graph:
    """Return `graph` with only the tables and columns `principal` may read: a landing column
    stays while a formatted column they read comes from it, and a check goes when it reads a
    column they may not (its name says which)."""
    kept = narrowed(graph, lambda table: principal.may_read_table(*_zone_and_name(table)))
    if not principal.restricted:
        return kept
    hidden = {
        node.id
        for node in kept.nodes.values()
        if node.kind == "column"
        and kept.nodes[node.table].kind != "landing"
        and not principal.readable_columns(*_zone_and_name(node.table), [node.column])
    }
    hidden |= _orphaned_landing(kept, hidden)
    hidden |= checks_reading(kept, hidden)
    return without(kept, hidden)


def checks_reading(graph: Graph, columns: set[str]) -> set[str]:
    """Return the ids of the checks reading any of `columns` (their names may name them)."""
    return {
        link.target
        for link in graph.links.values()
        if link.source in columns and graph.nodes[link.target].kind == "check"
    }


def without(graph: Graph, hidden: set[str]) -> Graph:
    """Return `graph` without the nodes `hidden` and the links touching them."""
    return Graph(
        nodes={key: node for key, node in graph.nodes.items() if key not in hidden},
        links={key: link for key, link in graph.links.items() if not {*key} & hidden},
    )


def _orphaned_landing(graph: Graph, hidden: set[str]) -> set[str]:
    """Return the landing columns that feed only hidden columns."""
    feeds: dict[str, set[str]] = {}
    for source, target in graph.links:
        feeds.setdefault(source, set()).add(target)
    landing = (
        node.id
        for node in graph.nodes.values()
        if node.kind == "column" and graph.nodes[node.table].kind == "landing"
    )
    return {node_id for node_id in landing if hidden >= feeds.get(node_id, set()) != set()}


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


def _zone_and_name(table: str) -> tuple[str, str]:
    ref = TableRef.of(table)
    return ref.zone, ref.name
