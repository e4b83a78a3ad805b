"""The lineage graph in the UI: a page drawing the tables upstream and downstream of a node (a
table, a column, a dashboard or a chart), expandable to columns, and the JSON it draws from.

The JSON is the project's graph (`serving.lineage.cached_graph`) around the node, narrowed to the
tables and columns the user may read, with the latest landing objects (the manifest's entries)
behind each landing node for a user who reads `landing.manifest` whole. The table pages draw
the same graph (`table_lineage.html`), fetching it from here."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lakebox.access.principal import Principal
from lakebox.catalog import TableRef
from lakebox.catalog.manifest import Entry
from lakebox.errors import AccessDenied, CatalogError
from lakebox.governance.graph import Direction, Graph
from lakebox.governance.views import (
    CHECK,
    around,
    check_table,
    step_rows,
)
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.grants import record
from lakebox.serving.lineage import cached_graph, column_not_granted, readable_graph
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.pages.grants import GRANT_HINT, first_refusal, refused, table_refusal
from lakebox.serving.ui.templating import project, render

LANDING_OBJECTS = 5  # the latest landing objects shown behind each landing node
MANIFEST = TableRef("landing", "manifest")
MAX_DEPTH = 50
NODE_HINT = (
    "name a table (zone.table), a column (zone.table.column), a dashboard "
    "(dashboard:<name>) or a chart (chart:<dashboard>/<chart>)"
)

router = APIRouter(include_in_schema=False)
NodeParameter = Annotated[str, Query(min_length=1, max_length=500)]
Way = Literal["both", "upstream", "downstream"]
DepthParameter = Annotated[int | None, Query(ge=1, le=MAX_DEPTH)]


@router.get("/lineage", response_class=HTMLResponse)
def page(
    request: Request,
    lh: LakehouseDep,
    queries: QueriesDep,
    who: PrincipalDep,
    node: NodeParameter,
    direction: Way = "both",
    depth: DepthParameter = None,
) -> HTMLResponse:
    try:
        data = lineage_data(lh, queries, node, direction, depth)
    except AccessDenied as error:
        return refused(request, lh, error, "catalog")
    except CatalogError as error:
        return render(request, "missing.html", "catalog", error=error, status_code=404,
                      **project(lh))  # fmt: skip
    start = next(row for row in data["graph"]["nodes"] if row["id"] == node)
    return render(request, "lineage.html", "catalog", node=node, start=start, data=data,
                  direction=direction, depth=depth, **project(lh))  # fmt: skip


@router.get("/lineage/data")
def data(
    lh: LakehouseDep,
    queries: QueriesDep,
    node: NodeParameter,
    direction: Way = "both",
    depth: DepthParameter = None,
) -> Response:
    """The graph around `node` as the UI draws it (errors as the API's JSON errors)."""
    return JSONResponse(lineage_data(lh, queries, node, direction, depth))


def lineage_data(
    lh: Lakehouse, queries: QueryService, node: str, direction: Way, depth: int | None
) -> dict[str, Any]:
    """Return `{"start", "steps", "graph", "landing"}` for `node`: the steps upstream (or in
    the one direction asked), the nodes and links around it and the landing objects of its
    landing nodes; all narrowed to what the user may read. Refuse (AccessDenied, audited) a
    node the user may not read; CatalogError for one not in the graph."""
    full = cached_graph(lh)
    graph = readable_graph(full, queries.principal)
    _check_start_audited(queries, full, graph, node)
    way: Direction | None = None if direction == "both" else direction
    drawn = around(graph, node, way, depth)
    rows = in_graph_order(graph, cast(list[dict[str, Any]], drawn["nodes"]))
    return {
        "start": node,
        "steps": step_rows(graph.walk(node, way or "upstream", depth)),
        "graph": {**drawn, "nodes": rows},
        "landing": landing_objects(lh, queries.principal, rows),
    }


def _check_start_audited(queries: QueryService, full: Graph, readable: Graph, node: str) -> None:
    try:
        check_start(full, readable, queries.principal, node)
    except AccessDenied as error:
        tables = [_table_of(full, node)]
        record(queries, "read lineage", tables, outcome="refused", detail=error.message)
        raise


def check_start(full: Graph, readable: Graph, who: Principal, node: str) -> None:
    """Refuse a start node of a table `who` may not read (whether it exists or not, as the
    table pages do) — a check of it too — or a column they are not granted (whether it exists
    or not); CatalogError for a node not in their graph."""
    table = _table_of(full, node)
    if table:
        refusal = table_refusal(who, _shown_table(table))
        if refusal is not None:
            raise refusal
    if node in readable.nodes:
        return
    if column_not_granted(who, node):
        raise AccessDenied(f"{who.name} may not read column {node}", hint=GRANT_HINT)
    raise CatalogError(f"{node!r} is not in the project's lineage graph", hint=NODE_HINT)


def _table_of(graph: Graph, node: str) -> str:
    """Return the table a node belongs to ('' for a consumer, but a check's table); for a
    node not in the graph, what its id names as `zone.table`."""
    if node.startswith(CHECK):
        return check_table(node)
    found = graph.nodes.get(node)
    if found is not None:
        return found.table
    if ":" in node:
        return ""
    ref = TableRef.of(node)
    return f"{ref.zone}.{ref.name.partition('.')[0]}"


def _shown_table(table: str) -> TableRef:
    """Return the table whose grants show `table`: a source's landing node goes with its
    formatted table."""
    ref = TableRef.of(table)
    return TableRef("formatted" if ref.zone == "landing" else ref.zone, ref.name)


def in_graph_order(graph: Graph, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the node rows in the order the graph added them (a table's columns in its
    schema's order)."""
    order = {node_id: index for index, node_id in enumerate(graph.nodes)}
    return sorted(rows, key=lambda row: order[row["id"]])


def landing_objects(
    lh: Lakehouse, who: Principal, rows: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Return, for each landing node among `rows`, its source's latest landing objects (the
    manifest's entries, newest first) and their total; hidden from a user who may not read
    `landing.manifest` whole."""
    hidden = first_refusal(lh, who, [MANIFEST]) is not None
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["kind"] != "landing":
            continue
        if hidden:
            found[row["id"]] = {"hidden": True, "total": None, "objects": []}
            continue
        entries = lh.manifest.entries(TableRef.of(row["id"]).name)
        latest = [_landing_object(entry) for entry in reversed(entries[-LANDING_OBJECTS:])]
        found[row["id"]] = {"hidden": False, "total": len(entries), "objects": latest}
    return found


def _landing_object(entry: Entry) -> dict[str, Any]:
    return {
        "batch_id": entry.batch_id,
        "path": entry.landed_path,
        "original_path": entry.original_path,
        "received_at": entry.received_at.isoformat(),
        "status": entry.status,
        "rows": entry.rows_formatted,
    }
