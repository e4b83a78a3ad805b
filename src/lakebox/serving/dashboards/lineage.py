"""What each dashboard's charts read, as consumers of the lineage graph: a chart's SQL is traced
under every combination of its resolution filters, so each column any choice reads is linked."""

from __future__ import annotations

from lakebox.catalog import TableRef
from lakebox.errors import LakeboxError
from lakebox.exploitation.lineage import columns_read
from lakebox.governance.consumers import read_key, resolver
from lakebox.governance.graph import Consumer, Graph
from lakebox.serving.dashboards.loading import DashboardFolder
from lakebox.serving.dashboards.queries import expand
from lakebox.serving.dashboards.references import combinations
from lakebox.serving.dashboards.spec import Dashboard, ResolutionFilter


def dashboard_consumers(graph: Graph, folder: DashboardFolder) -> list[Consumer]:
    """Return a consumer per chart of every dashboard that loads, and one per dashboard
    reading what its charts read."""
    schema = graph.schema()
    found: list[Consumer] = []
    for entry in folder.entries():
        if entry.dashboard is None:
            continue
        charts = [
            _chart(entry.name, name, chart.title or name, chart.sql, entry.dashboard, schema)
            for name, chart in entry.dashboard.charts.items()
        ]
        reads = tuple(sorted({read for chart in charts for read in chart.reads}, key=read_key))
        title = entry.dashboard.title
        found += [*charts, Consumer(f"dashboard:{entry.name}", "dashboard", title, reads)]
    return found


def _chart(
    board_name: str,
    name: str,
    title: str,
    sql: str,
    board: Dashboard,
    schema: dict[TableRef, list[str]],
) -> Consumer:
    resolutions = {
        key: declared
        for key, declared in board.filters.items()
        if isinstance(declared, ResolutionFilter)
    }
    reads: set[tuple[TableRef, str]] = set()
    for choices in combinations(resolutions):
        try:
            reads |= columns_read(expand(sql, choices), schema, resolver(schema))
        except LakeboxError:
            continue  # the dashboard's own check reports SQL that does not bind
    return Consumer(
        f"chart:{board_name}/{name}", "chart", title, tuple(sorted(reads, key=read_key))
    )
