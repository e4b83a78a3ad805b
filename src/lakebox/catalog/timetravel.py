"""Which snapshot of a table a reader sees as of a snapshot id or a point in time.

Only states the table was really in count: a snapshot a commit wrote on the way to its
result (a keyed merge committed by an older lakebox as `delete` then `append` in one
transaction: the table empty in between) is never shown; asked for by id, it resolves to the
state its commit published.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyiceberg.table import Table
from pyiceberg.table.snapshots import Operation

from lakebox.catalog.iceberg import BATCH_PROPERTY, snapshot_properties


def intermediates(table: Table) -> set[int]:
    """Return the ids of the snapshots that are the first half of a delete-then-append
    commit: a `delete` whose child snapshot carries the same batch ids."""
    by_id = {snapshot.snapshot_id: snapshot for snapshot in table.snapshots()}
    found = set()
    for child in by_id.values():
        parent = by_id.get(child.parent_snapshot_id or -1)
        if parent is None or parent.summary is None:
            continue
        batches = snapshot_properties(parent).get(BATCH_PROPERTY)
        if (
            parent.summary.operation == Operation.DELETE
            and batches is not None
            and snapshot_properties(child).get(BATCH_PROPERTY) == batches
        ):
            found.add(parent.snapshot_id)
    return found


def published(table: Table, snapshot_id: int) -> int:
    """Return the snapshot a reader asking for `snapshot_id` sees: itself, or, for the first
    half of a commit, the snapshot that commit published."""
    halves = intermediates(table)
    while snapshot_id in halves:
        children = [s for s in table.snapshots() if s.parent_snapshot_id == snapshot_id]
        if not children:
            break
        snapshot_id = children[0].snapshot_id
    return snapshot_id


def history(table: Table) -> list[tuple[int, datetime]]:
    """Return the table's main-branch states, oldest first: (snapshot id, when it became
    current), without the first halves of commits."""
    log = table.metadata.snapshot_log or [
        _Entry(s.snapshot_id, s.timestamp_ms) for s in table.snapshots()
    ]
    kept = {snapshot.snapshot_id for snapshot in table.snapshots()} - intermediates(table)
    return [
        (entry.snapshot_id, datetime.fromtimestamp(entry.timestamp_ms / 1000, UTC))
        for entry in log
        if entry.snapshot_id in kept
    ]


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
