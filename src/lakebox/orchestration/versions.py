"""`ops.table_versions` and `ops.column_lineage`: what made each table version a run
published — the snapshots and landed objects it was made from, and where each of its
columns came from — written when the run ends, one commit per table (none when the run
published nothing), as the run history is.

The steps say what they published in their results (`versions`): the formatting of a landed
object, a model's build, an entity's resolution. A version staged but never published (its
blocking checks failed) is in none of them, so it is never recorded.

A version's rows hold its direct inputs (`depth` 1) and, followed down through the versions
they name, theirs (2, 3, …): one plain query answers what produced it, back to the landed
objects, with no recursive SQL (which read-only SQL refuses). A table's previous version
(what an append keeps) is an input but is not followed: the rows of a formatted version say
which batches it holds (`_batch_id`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.catalog.versions import TableVersion, Upstream
from lakebox.ground.clock import now
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import RunReport
from lakebox.tables import commit_rows

TABLE_VERSIONS = TableRef("ops", "table_versions")
COLUMN_LINEAGE = TableRef("ops", "column_lineage")
_TIME = pa.timestamp("us", tz="UTC")
_VERSIONS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("table", pa.string()),
        ("snapshot_id", pa.int64()),
        ("made_by", pa.string()),
        ("depth", pa.int64()),
        ("via_table", pa.string()),
        ("via_snapshot_id", pa.int64()),
        ("input_table", pa.string()),
        ("input_snapshot_id", pa.int64()),
        ("batch_id", pa.string()),
        ("landing_object", pa.string()),
        ("sha256", pa.string()),
        ("recorded_at", _TIME),
    ]
)
_COLUMNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("table", pa.string()),
        ("snapshot_id", pa.int64()),
        ("column", pa.string()),
        ("upstream_table", pa.string()),
        ("upstream_column", pa.string()),
        ("upstream_snapshot_id", pa.int64()),
        ("how", pa.string()),
        ("recorded_at", _TIME),
    ]
)
_BATCHES = itertools.count(1)
# One edge upstream of a version: `via` (the version itself at depth 1) was made from input.
_EDGE_COLUMNS = (
    "depth",
    "via_table",
    "via_snapshot_id",
    "input_table",
    "input_snapshot_id",
    "batch_id",
    "landing_object",
    "sha256",
)
Key = tuple[str, int]  # a version: its table's `zone.name` and its snapshot id
Edge = dict[str, Any]


def published(report: RunReport) -> list[TableVersion]:
    """Return the table versions the run of `report` published, in the order it did."""
    results = [*report.formatting, *report.entities, *report.models]
    return [version for result in results for version in result.versions]


def store(lh: Lakehouse, report: RunReport) -> None:
    """Append what made each version the run published to `ops.table_versions` and the
    upstream columns of their columns to `ops.column_lineage` (one commit each)."""
    versions = published(report)
    if not versions:
        return
    recorded_at = now()
    closures = upstream(versions, recorded_edges(lh, versions))
    rows = list(version_rows(report.run_id, versions, closures, recorded_at))
    _append(lh, TABLE_VERSIONS, _VERSIONS_SCHEMA, report.run_id, rows)
    rows = list(column_rows(report.run_id, versions, recorded_at))
    _append(lh, COLUMN_LINEAGE, _COLUMNS_SCHEMA, report.run_id, rows)


def upstream(
    versions: list[TableVersion], recorded: dict[Key, list[Edge]]
) -> dict[Key, list[Edge]]:
    """Return each version's edges: its inputs (depth 1), then the edges of the versions
    they name (deeper by one), from this run's `versions` (in the order they were made) or
    from those `recorded` by earlier runs; a version's previous one is not followed."""
    found: dict[Key, list[Edge]] = {}
    for version in versions:
        key = (version.table.identifier, version.snapshot_id)
        edges = {_identity(edge): edge for edge in map(_edge(key), version.inputs)}
        for item in version.inputs:
            if item.snapshot_id is None or item.table == version.table:
                continue
            named = (item.table.identifier, item.snapshot_id)
            for edge in found.get(named) or recorded.get(named, []):
                deeper = edge | {"depth": edge["depth"] + 1}
                kept = edges.setdefault(_identity(deeper), deeper)
                kept["depth"] = min(kept["depth"], deeper["depth"])
        found[key] = list(edges.values())
    return found


def recorded_edges(lh: Lakehouse, versions: list[TableVersion]) -> dict[Key, list[Edge]]:
    """Return the edges recorded by earlier runs of the versions `versions` read but this
    run did not make."""
    made = {(version.table.identifier, version.snapshot_id) for version in versions}
    wanted = {
        (item.table.identifier, item.snapshot_id)
        for version in versions
        for item in version.inputs
        if item.snapshot_id is not None and item.table != version.table
    } - made
    if not wanted or lh.catalog.load(TABLE_VERSIONS) is None:
        return {}
    lh.refresh()
    sql = (
        f'SELECT {", ".join(_EDGE_COLUMNS)}, "table", snapshot_id FROM ops.table_versions '
        "WHERE depth > 0 AND snapshot_id IN (SELECT unnest(?::BIGINT[]))"
    )
    found: dict[Key, list[Edge]] = {}
    for row in lh.engine.arrow(sql, [sorted(i for _, i in wanted)]).to_pylist():
        key = (row.pop("table"), row.pop("snapshot_id"))
        if key in wanted:
            found.setdefault(key, []).append(row)
    return found


def version_rows(
    run_id: str,
    versions: list[TableVersion],
    closures: dict[Key, list[Edge]],
    recorded_at: datetime,
) -> Iterator[dict]:
    """Yield a row per edge upstream of each version (one, at depth 0 with no input, for a
    version made from no table, such as a model selecting constants)."""
    for version in versions:
        key = (version.table.identifier, version.snapshot_id)
        made = {
            "run_id": run_id,
            "table": key[0],
            "snapshot_id": key[1],
            "made_by": version.made_by,
            "recorded_at": recorded_at,
        }
        edges = sorted(closures.get(key, []), key=_order)
        yield from (made | edge for edge in edges) if edges else [made | {"depth": 0}]


def _edge(via: Key) -> Callable[[Upstream], Edge]:
    def edge(item: Upstream) -> Edge:
        return {
            "depth": 1,
            "via_table": via[0],
            "via_snapshot_id": via[1],
            "input_table": item.table.identifier,
            "input_snapshot_id": item.snapshot_id,
            "batch_id": item.batch_id,
            "landing_object": item.landing_object,
            "sha256": item.sha256,
        }

    return edge


def _identity(edge: Edge) -> tuple:
    return tuple(edge[name] for name in _EDGE_COLUMNS if name != "depth")


def _order(edge: Edge) -> tuple:
    return (edge["depth"], *(str(value) for value in _identity(edge)))


def column_rows(run_id: str, versions: list[TableVersion], recorded_at: datetime) -> Iterator[dict]:
    """Yield a row per upstream column of each version's columns."""
    for version in versions:
        for edge in version.columns:
            yield {
                "run_id": run_id,
                "table": version.table.identifier,
                "snapshot_id": version.snapshot_id,
                "column": edge.column,
                "upstream_table": edge.table.identifier,
                "upstream_column": edge.source,
                "upstream_snapshot_id": edge.snapshot_id,
                "how": edge.how,
                "recorded_at": recorded_at,
            }


def _append(lh: Lakehouse, ref: TableRef, schema: pa.Schema, run_id: str, rows: list[dict]) -> None:
    """Append `rows` to `ref` in one commit tagged with the run (none when there are none)."""
    if not rows:
        return
    batch = f"{ref.name}-{run_id}-{now():%H%M%S%f}-{next(_BATCHES)}"
    commit_rows(lh, ref, pa.Table.from_pylist(rows, schema=schema), batch, {"lakebox.run": run_id})
