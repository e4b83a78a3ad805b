"""Which snapshot of a table a reader sees as of a snapshot id or a point in time.

Only states the table was really in count: a snapshot a commit wrote on the way to its
result (a keyed merge committed by an older lakebox as `delete` then `append` in one
transaction: the table empty in between) is never shown; asked for by id, it resolves to the
state its commit published.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyiceberg.table import Table
from pyiceberg.table.snapshots import Operation, Snapshot

from lakebox.catalog.iceberg import BATCH_PROPERTY, snapshot_properties


def is_intermediate(table: Table, snapshot: Snapshot) -> bool:
    """Return whether `snapshot` is the first half of a delete-then-append commit: a `delete`
    whose child snapshot carries the same batch ids."""
    if snapshot.summary is None or snapshot.summary.operation != Operation.DELETE:
        return False
    batches = snapshot_properties(snapshot).get(BATCH_PROPERTY)
    return batches is not None and any(
        child.parent_snapshot_id == snapshot.snapshot_id
        and snapshot_properties(child).get(BATCH_PROPERTY) == batches
        for child in table.snapshots()
    )


def published(table: Table, snapshot_id: int) -> int:
    """Return the snapshot a reader asking for `snapshot_id` sees: itself, or, for the first
    half of a commit, the snapshot that commit published."""
    snapshot = table.snapshot_by_id(snapshot_id)
    while snapshot is not None and is_intermediate(table, snapshot):
        children = [s for s in table.snapshots() if s.parent_snapshot_id == snapshot.snapshot_id]
        snapshot = children[0] if children else None
    return snapshot.snapshot_id if snapshot is not None else snapshot_id


def history(table: Table) -> list[tuple[int, datetime]]:
    """Return the table's main-branch states, oldest first: (snapshot id, when it became
    current), without the first halves of commits."""
    log = table.metadata.snapshot_log or [
        _Entry(s.snapshot_id, s.timestamp_ms) for s in table.snapshots()
    ]
    states = []
    for entry in log:
        snapshot = table.snapshot_by_id(entry.snapshot_id)
        if snapshot is None or is_intermediate(table, snapshot):
            continue
        states.append((entry.snapshot_id, datetime.fromtimestamp(entry.timestamp_ms / 1000, UTC)))
    return states


def snapshot_at(table: Table, moment: datetime) -> int | None:
    """Return the id of the snapshot current at `moment` (aware), or None if the table had
    none yet."""
    current = None
    for snapshot_id, since in history(table):
        if since <= moment:
            current = snapshot_id
    return current


def first_commit(table: Table) -> datetime | None:
    """Return when the table's first snapshot was committed, or None if it has none."""
    states = history(table)
    return states[0][1] if states else None


class _Entry:
    """A snapshot-log entry made up for a table whose metadata has no log."""

    def __init__(self, snapshot_id: int, timestamp_ms: int) -> None:
        self.snapshot_id = snapshot_id
        self.timestamp_ms = timestamp_ms
