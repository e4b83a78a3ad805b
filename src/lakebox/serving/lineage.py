"""The whole lineage graph of a served project: what `governance` builds from the project,
with the dashboards' charts (which live in this package) attached."""

from __future__ import annotations

from lakebox.governance.graph import Graph
from lakebox.governance.lineage import project_graph
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dashboards import FOLDER, DashboardFolder
from lakebox.serving.dashboards.lineage import dashboard_consumers


def full_graph(lh: Lakehouse) -> Graph:
    """Return the project's lineage graph with every dashboard and chart in it."""
    graph = project_graph(lh)
    folder = DashboardFolder(lh.project_dir / FOLDER)
    return graph.merge(dashboard_consumers(graph, folder))
