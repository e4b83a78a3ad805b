"""The whole lineage graph of a served project: what `governance` builds from the project
(sources, models, the streams' window tables, checks, forecasts, anomaly rules, registered
models and stream alerts), with the dashboards' charts (which live in this package) attached;
kept per process until a project file or a table changes; and narrowed to what a user reads."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from pathlib import Path

from lakebox.access.principal import Principal
from lakebox.config.project import PROJECT_FILE
from lakebox.governance.consumers import config_consumers
from lakebox.governance.graph import Graph
from lakebox.governance.kept import Kept, add_kept_columns
from lakebox.governance.lineage import project_graph
from lakebox.governance.trained import add_frozen_tables
from lakebox.governance.views import narrowed
from lakebox.governance.windows import add_stream_windows
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dashboards import FOLDER, DashboardFolder
from lakebox.serving.dashboards.lineage import dashboard_consumers

_LOCK = threading.Lock()
_BUILT: dict[str, tuple[Hashable, Graph]] = {}  # project folder -> (its fingerprint, graph)


def full_graph(lh: Lakehouse, kept: Kept | None = None) -> Graph:
    """Return the project's lineage graph with every consumer in it, dashboards and charts
    included; the `kept` columns are in it as if their tables still had them."""
    graph = project_graph(lh)
    if kept:
        add_kept_columns(lh, graph, kept)
    graph = add_stream_windows(graph, lh.config.streams)
    consumers = config_consumers(lh, graph)
    graph = add_frozen_tables(lh, graph, consumers).merge(consumers)
    folder = DashboardFolder(lh.project_dir / FOLDER)
    return graph.merge(dashboard_consumers(graph, folder))


def cached_graph(lh: Lakehouse) -> Graph:
    """Return `full_graph(lh)`, built again only when lakebox.yaml, a model's or dashboard's
    file or a table's metadata changed since it was last built. Do not change it."""
    key = fingerprint(lh)
    with _LOCK:
        held = _BUILT.get(str(lh.project_dir))
        if held is not None and held[0] == key:
            return held[1]
        graph = full_graph(lh)
        _BUILT[str(lh.project_dir)] = (key, graph)
        return graph


def fingerprint(lh: Lakehouse) -> Hashable:
    """Return what the graph is built from, in brief: the project files' sizes and times,
    and every table's current metadata file."""
    folders = (lh.project_dir / lh.config.models.path, lh.project_dir / FOLDER)
    files = [lh.project_dir / PROJECT_FILE, *(f for d in folders for f in _files(d))]
    stamps = tuple((str(path), *_stamp(path)) for path in files)
    tables = tuple(
        sorted((ref.identifier, at) for ref, at in lh.catalog.metadata_locations().items())
    )
    return id(lh.config), stamps, tables


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return -1, -1
    return status.st_mtime_ns, status.st_size


def readable_graph(graph: Graph, principal: Principal) -> Graph:
    """Return `graph` with only the tables and columns `principal` may read (a landing
    column stays while a formatted column they read comes from it)."""
    kept = narrowed(graph, lambda table: _may_read(principal, table))
    if not principal.restricted:
        return kept
    hidden = {
        node.id
        for node in kept.nodes.values()
        if node.kind == "column"
        and kept.nodes[node.table].kind != "landing"
        and not _may_read_column(principal, node.table, node.column)
    }
    hidden |= _orphaned_landing(kept, hidden)
    for node_id in hidden:
        del kept.nodes[node_id]
    kept.links = {k: link for k, link in kept.links.items() if not {*k} & hidden}
    return kept


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


def _may_read(principal: Principal, table: str) -> bool:
    zone, _, name = table.partition(".")
    return principal.may_read_table(zone, name)


def _may_read_column(principal: Principal, table: str, column: str) -> bool:
    zone, _, name = table.partition(".")
    return bool(principal.readable_columns(zone, name, [column]))
