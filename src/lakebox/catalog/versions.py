"""What made a table version: the snapshots and landed objects it was made from, and where
each of its columns came from. The steps that commit a version (formatting, a model's build,
entity resolution) return these; the run writes them to `ops.table_versions` and
`ops.column_lineage` when it ends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakebox.catalog.refs import BATCH_PROPERTY, TableRef

if TYPE_CHECKING:
    from pyiceberg.table import Table


@dataclass(frozen=True)
class Upstream:
    """One input of a table version: a table's snapshot, or a landed object (then `table`
    is `landing.<source>` and the batch, its landed path and its SHA-256 say which)."""

    table: TableRef
    snapshot_id: int | None = None
    batch_id: str | None = None
    landing_object: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class ColumnSource:
    """An upstream column of a version's `column` ("" when it shapes every row: filtered,
    joined, grouped) and how its values came: passed, transformed, aggregated, or the
    cleaning rules of a formatted column."""

    column: str
    table: TableRef
    source: str
    how: str
    snapshot_id: int | None = None


@dataclass(frozen=True)
class TableVersion:
    """A snapshot a step committed and made current, with what it was made from."""

    table: TableRef
    snapshot_id: int
    made_by: str  # format | model | entity
    inputs: tuple[Upstream, ...] = ()
    columns: tuple[ColumnSource, ...] = ()


def batch_snapshots(table: Table, batch_id: str, since: int | None) -> list[int]:
    """Return, oldest first, the snapshots of `table`'s current history after snapshot
    `since` (None: its whole history) whose commit is tagged with `batch_id`."""
    found = []
    snapshot = table.current_snapshot()
    while snapshot is not None and snapshot.snapshot_id != since:
        tags = (snapshot.summary.additional_properties if snapshot.summary else {}).get(
            BATCH_PROPERTY, "[]"
        )
        if batch_id in json.loads(tags):
            found.append(snapshot.snapshot_id)
        parent = snapshot.parent_snapshot_id
        snapshot = table.snapshot_by_id(parent) if parent is not None else None
    return found[::-1]
