"""The whole lineage graph of a served project: what `governance` builds from the project
(sources, models, the streams' window tables, checks, forecasts, anomaly rules, registered
models and stream alerts), with the dashboards' charts (which live in this package) attached;
kept per process until a project file or a table changes; and narrowed to what a user reads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from pathlib import Path

from lakebox.access.principal import Principal
from lakebox.catalog import TableRef
from lakebox.config.project import PROJECT_FILE
from lakebox.governance.consumers import config_consumers
from lakebox.governance.graph import Graph
from lakebox.governance.kept import Kept, add_kept_columns
from lakebox.governance.lineage import project_graph
from lakebox.governance.trained import add_frozen_tables
from lakebox.governance.views import CHECK, check_table, readable_by
from lakebox.governance.windows import add_stream_windows
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dashboards import FOLDER, DashboardFolder
from lakebox.serving.dashboards.lineage import dashboard_consumers

_LOCK = threading.Lock()
# (project folder, what built it) -> (the project's fingerprint, the graph)
_BUILT: dict[tuple[str, str], tuple[Hashable, Graph]] = {}


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


def cached_graph(lh: Lakehouse, build: Callable[[Lakehouse], Graph] = full_graph) -> Graph:
    """Return `build(lh)` (by default `full_graph`, which the dictionary uses too), built
    again only when lakebox.yaml, a model's or dashboard's file or a table's metadata changed
    since it was last built — not on every request, which would parse every model's SQL each
    time. Do not change it."""
    key = fingerprint(lh)
    slot = (str(lh.project_dir), f"{build.__module__}.{build.__qualname__}")
    with _LOCK:
        held = _BUILT.get(slot)
        if held is not None and held[0] == key:
            return held[1]
        graph = build(lh)
        _BUILT[slot] = (key, graph)
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
    column stays while a formatted column they read comes from it; see `views.readable_by`)."""
    return readable_by(graph, principal)


def node_table(node: str) -> TableRef | None:
    """Return the table whose grants a node's name falls under, by its shape alone:
    `zone.table` and `zone.table.column` (a landing table's: its source's formatted table) and
    a check's `check:<zone.table>/<check>`; None for another consumer or another shape."""
    node = node.strip()
    if node.startswith(CHECK):
        node = check_table(node)
    elif ":" in node:
        return None
    zone, _, rest = node.partition(".")
    name = rest.partition(".")[0]
    if not zone or not name:
        return None
    return TableRef("formatted" if zone.lower() == "landing" else zone, name)


def column_not_granted(principal: Principal, node: str) -> bool:
    """Whether `node` names a column (`zone.table.column`; a landing column under its
    formatted table's grants) of a table `principal` reads that their column grants do not
    cover — to be refused whether or not the column exists."""
    if ":" in node:
        return False
    column = node.strip().split(".", 2)[2:]
    ref = node_table(node)
    if not column or not column[0] or ref is None or not principal.restricted:
        return False
    return not principal.readable_columns(ref.zone, ref.name, column)
