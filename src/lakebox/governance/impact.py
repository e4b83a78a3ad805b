"""Impact analysis: everything downstream of a column, table or consumer, grouped by kind —
columns (by table), tables, checks, dashboards and their charts, forecasts, anomaly rules,
trained models and stream alerts — for `lakebox impact` and `GET /api/impact/...`.

Also finding a node by the name someone typed: exact, else the one name that differs only in
case; an unknown name is refused with the closest names the graph holds."""

from __future__ import annotations

import difflib

from lakebox.errors import LineageError
from lakebox.governance.graph import Graph, Step
from lakebox.governance.views import step_rows

# (node kind, group, title), in the order a report lists them.
GROUPS = (
    ("column", "columns", "Columns"),
    ("table", "tables", "Tables"),
    ("check", "checks", "Checks"),
    ("dashboard", "dashboards", "Dashboards"),
    ("chart", "charts", "Charts"),
    ("forecast", "forecasts", "Forecasts"),
    ("anomaly", "anomalies", "Anomaly rules"),
    ("trained", "trained", "Trained models"),
    ("alert", "alerts", "Stream alerts"),
)
OTHER = ("", "other", "Other")
MAX_NAME = 300  # longer names are refused without looking for close ones
SUGGESTED = 5


def impact(graph: Graph, start: str, depth: int | None = None) -> dict[str, object]:
    """Return what lies downstream of node `start`: `start`, `count` and `groups`, a list of
    `{group, title, count, items}` (items are `step_rows`; columns ordered by table)."""
    steps = graph.walk(start, "downstream", depth)
    groups = [_group(kind, group, title, steps) for kind, group, title in GROUPS]
    known = {kind for kind, _, _ in GROUPS}
    groups.append(_group(None, OTHER[1], OTHER[2], [s for s in steps if s.node.kind not in known]))
    found = [group for group in groups if group["count"]]
    return {"start": start, "count": len(steps), "groups": found}


def _group(kind: str | None, group: str, title: str, steps: list[Step]) -> dict[str, object]:
    chosen = [step for step in steps if kind is None or step.node.kind == kind]
    chosen.sort(key=lambda step: (step.node.table, step.node.column, step.node.id))
    return {"group": group, "title": title, "count": len(chosen), "items": step_rows(chosen)}


def known_node(graph: Graph, name: str) -> str:
    """Return the id of the node `name` names (a table `zone.name`, a column
    `zone.name.column` or a consumer `kind:name`); raise LineageError naming close ones."""
    name = name.strip()
    if name in graph.nodes:
        return name
    folded = [node_id for node_id in graph.nodes if node_id.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    close = _close(graph, name) if len(name) <= MAX_NAME else []
    shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"
    raise LineageError(
        f"no table, column or consumer named {shown!r} in the lineage graph",
        hint=f"did you mean {', '.join(close)}?"
        if close
        else "name a table (zone.table), a column (zone.table.column) or a consumer such "
        "as dashboard:NAME; the graph holds the sources, the models and what reads them",
    )


def _close(graph: Graph, name: str) -> list[str]:
    ids = {node_id.lower(): node_id for node_id in graph.nodes}
    found = difflib.get_close_matches(name.lower(), list(ids), n=SUGGESTED, cutoff=0.6)
    return [ids[match] for match in found]
