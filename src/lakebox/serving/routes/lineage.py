"""The lineage endpoints: a table's, column's or consumer's column lineage (`GET
/api/lineage/{node}`) and everything downstream of it, grouped by kind (`GET
/api/impact/{node}`), over the project's whole graph narrowed to the tables and columns the
user may read. Naming a table they may not read is refused as every table route refuses it
(403, audited), whether or not it exists; an unknown node is 404."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from lakebox.errors import AccessDenied, LineageError
from lakebox.governance.graph import Direction, Graph
from lakebox.governance.impact import impact as downstream
from lakebox.governance.impact import known_node
from lakebox.governance.views import around, step_rows
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.grants import record, refuse_unreadable
from lakebox.serving.lineage import (
    cached_graph,
    column_not_granted,
    node_table,
    readable_graph,
)
from lakebox.serving.queries import QueryService

router = APIRouter(tags=["lineage"])
MAX_DEPTH = 50
MAX_NAME = 1000  # longer than any table, column or consumer id
NODE = "A table (zone.table), a column (zone.table.column) or a consumer (kind:name)."
DIRECTION_HELP = (
    "Which way to walk: upstream (where the values come from), downstream (where they go) or "
    "both. The steps walk upstream unless downstream is asked; the graph part covers both "
    "ways unless one is asked."
)
NodePath = Annotated[str, Path(description=NODE)]
DepthQuery = Annotated[
    int | None, Query(ge=1, le=MAX_DEPTH, description="At most this many links.")
]


@router.get("/api/lineage/{node:path}", summary="The column lineage of a table, column or consumer")
def lineage(
    node: NodePath,
    lh: LakehouseDep,
    queries: QueriesDep,
    direction: Annotated[
        Literal["upstream", "downstream", "both"] | None, Query(description=DIRECTION_HELP)
    ] = None,
    depth: DepthQuery = None,
) -> dict[str, Any]:
    graph, start = _start(lh, queries, node)
    walked: Direction = "downstream" if direction == "downstream" else "upstream"
    drawn: Direction | None = direction if direction in ("upstream", "downstream") else None
    return {
        "start": start,
        "direction": walked,
        "steps": step_rows(graph.walk(start, walked, depth)),
        "graph": around(graph, start, drawn, depth),
    }


@router.get(
    "/api/impact/{node:path}", summary="Everything downstream of a table, column or consumer"
)
def impact(
    node: NodePath, lh: LakehouseDep, queries: QueriesDep, depth: DepthQuery = None
) -> dict[str, Any]:
    graph, start = _start(lh, queries, node)
    return downstream(graph, start, depth)


def _start(lh: Lakehouse, queries: QueryService, node: str) -> tuple[Graph, str]:
    """Return the graph the user may read and the id of the node `node` names in it; refuse
    a table (a column of it, or a check of it) they may not read before looking for it."""
    if len(node) > MAX_NAME:
        raise LineageError(f"a node's name has at most {MAX_NAME} characters")
    table = node_table(node)
    if table is not None:
        refuse_unreadable(queries, table)
    graph = readable_graph(cached_graph(lh), queries.principal)
    try:
        return graph, known_node(graph, node)
    except LineageError:
        if column_not_granted(queries.principal, node):
            raise _column_refusal(queries, node) from None
        raise


def _column_refusal(queries: QueryService, node: str) -> AccessDenied:
    """Return (audited) the refusal of a column outside the user's column grants, whether or
    not it exists (a 404 for a missing one would tell which hidden ones do)."""
    who = queries.principal
    table = node_table(node)
    assert table is not None
    error = AccessDenied(
        f"{who.name} may not read column {node.strip()}: no grant of read on it in "
        f"their roles ({', '.join(who.roles)})",
        hint="an admin can grant it under access.roles in lakebox.yaml",
        table=table.identifier,
    )
    record(queries, "read table", [table.identifier], outcome="refused", detail=error.message)
    return error
