"""Catalog-level table maintenance: replacing small data files by compacted ones in one
snapshot, rewriting many small manifests into few, expiring old snapshots (never one a
branch, a tag or lakebox itself still needs) and finding the files no snapshot references.

What lakebox reads from snapshots, and so what expiry and compaction keep:
- the current snapshot's `lakebox.*` properties (a model's inputs and SQL hash, a forecast's
  name, a sandbox's SQL, a source's cursor, the batch ids of a full pull): a maintenance
  snapshot carries them over, so the table still says what it said;
- every batch id ever committed (exactly-once commits, reformat): the batch ids of expired
  snapshots are kept in the table property `lakebox.retired-batch-ids`;
- the newest snapshot carrying a source's cursor (where an incremental pull starts);
- the snapshots a table's current `lakebox.inputs` names (what a model, an entity, a forecast
  or a sandbox was made from), and branch and tag heads (the write–audit–publish branch);
- time travel and the snapshot ids of `ops.table_versions` reach back as far as the
  retention: older snapshots are expired.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from pyiceberg.manifest import DataFile, ManifestFile
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Operation, Snapshot
from pyiceberg.table.update.snapshot import ExpireSnapshots

from lakebox.catalog.iceberg import overwrite_files, snapshot_properties
from lakebox.catalog.refs import (
    BATCH_PROPERTY,
    CURSOR_PROPERTY,
    RETIRED_BATCHES_PROPERTY,
    TableRef,
)

MAINTENANCE_PROPERTY = "lakebox.maintenance"  # compact | rewrite-manifests, on its snapshots
INPUTS_PROPERTY = "lakebox.inputs"  # {table: snapshot id} a table was made from
MANIFEST_TARGET_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Retention:
    """Which snapshots expiry keeps: those committed at or after `since_ms` (epoch ms), the
    `newest` most recent of the main branch, and the `pinned` ids."""

    since_ms: int
    newest: int
    pinned: frozenset[int] = frozenset()


def carried_properties(table: Table, what: str) -> dict[str, str]:
    """Return the `lakebox.*` properties of the current snapshot, for a maintenance snapshot
    `what` that changes no row (a `delete` snapshot's batch ids are not carried: the
    snapshot after it would look like the second half of one commit)."""
    current = table.current_snapshot()
    carried = {
        name: value
        for name, value in snapshot_properties(current).items()
        if name.startswith("lakebox.")
    }
    if current is not None and current.summary and current.summary.operation == Operation.DELETE:
        carried.pop(BATCH_PROPERTY, None)
    return {**carried, MAINTENANCE_PROPERTY: what}


def replace_files(table: Table, old: list[DataFile], new: list[str]) -> Table:
    """Replace the data files `old` by the files at `new` (the same rows) in one snapshot."""
    with table.transaction() as transaction:
        properties = carried_properties(table, "compact")
        overwrite_files(transaction, table, new, properties, old=old)
    return table.refresh()


def manifests(table: Table) -> list[ManifestFile]:
    """Return the manifests of the table's current snapshot."""
    current = table.current_snapshot()
    return current.manifests(table.io) if current is not None else []


def needs_rewrite(found: list[ManifestFile], most: int) -> bool:
    """Whether manifests `found` are too many, or one of them lists no live file (only the
    files a compaction removed: every read still opens it)."""
    empty = any(not m.has_added_files() and not m.has_existing_files() for m in found)
    return len(found) > most or empty


def rewrite_manifests(table: Table) -> Table:
    """Rewrite the current snapshot's manifests into as few as fit the target size, in one
    snapshot that adds and removes no data file (a manifest listing no live file is left
    out)."""
    with table.transaction() as transaction:
        properties = carried_properties(table, "rewrite-manifests")
        append = transaction.update_snapshot(snapshot_properties=properties).merge_append()
        append._merge_enabled = True  # pyiceberg has no manifest rewrite of its own
        append._min_count_to_merge = 2
        append._target_size_bytes = MANIFEST_TARGET_BYTES
        append.commit()
    return table.refresh()


def expirable(table: Table, retention: Retention) -> list[int]:
    """Return the ids of the snapshots `retention` lets go, oldest first: never the current
    one, a branch or tag head, a pinned one, the newest carrying a source's cursor, or one
    of the newest of the main branch or of the retention window."""
    kept = set(_main_line(table)[: retention.newest]) | set(retention.pinned)
    kept |= {ref.snapshot_id for ref in table.metadata.refs.values()}
    kept |= {snapshot.snapshot_id for snapshot in _newest_with_cursor(table)}
    return [
        snapshot.snapshot_id
        for snapshot in sorted(table.snapshots(), key=lambda s: s.timestamp_ms)
        if snapshot.timestamp_ms < retention.since_ms and snapshot.snapshot_id not in kept
    ]


def _main_line(table: Table) -> list[int]:
    """Return the main branch's snapshot ids, newest first (the current one first)."""
    line = []
    snapshot = table.current_snapshot()
    while snapshot is not None:
        line.append(snapshot.snapshot_id)
        parent = snapshot.parent_snapshot_id
        snapshot = table.snapshot_by_id(parent) if parent is not None else None
    return line


def _newest_with_cursor(table: Table) -> list[Snapshot]:
    carrying = [s for s in table.snapshots() if CURSOR_PROPERTY in snapshot_properties(s)]
    return sorted(carrying, key=lambda s: s.timestamp_ms)[-1:]


def expire(table: Table, snapshot_ids: list[int]) -> Table:
    """Expire `snapshot_ids`, keeping the batch ids they committed in the table property
    `lakebox.retired-batch-ids`, in one commit."""
    if not snapshot_ids:
        return table
    retired = set(json.loads(table.properties.get(RETIRED_BATCHES_PROPERTY, "[]")))
    for snapshot_id in snapshot_ids:
        snapshot = table.snapshot_by_id(snapshot_id)
        retired.update(json.loads(snapshot_properties(snapshot).get(BATCH_PROPERTY, "[]")))
    with table.transaction() as transaction:
        if retired:
            transaction.set_properties(**{RETIRED_BATCHES_PROPERTY: json.dumps(sorted(retired))})
        ExpireSnapshots(transaction).by_ids(snapshot_ids).commit()
    return table.refresh()


def pinned_inputs(tables: Iterable[Table]) -> dict[TableRef, set[int]]:
    """Return, per table, the snapshot ids named by the `lakebox.inputs` of any table's
    current snapshot (what a model, entity, forecast or sandbox was made from)."""
    pinned: dict[TableRef, set[int]] = {}
    for table in tables:
        raw = snapshot_properties(table.current_snapshot()).get(INPUTS_PROPERTY)
        try:
            inputs = json.loads(raw) if raw else {}
        except ValueError:
            continue
        for name, snapshot_id in inputs.items() if isinstance(inputs, dict) else ():
            if isinstance(snapshot_id, int):
                pinned.setdefault(TableRef.of(name), set()).add(snapshot_id)
    return pinned


def referenced_files(table: Table) -> set[str]:
    """Return every file the table's metadata references: its metadata files (current and
    logged), statistics, and for every live snapshot its manifest list, manifests and data
    and delete files."""
    found = {table.metadata_location}
    found |= {entry.metadata_file for entry in table.metadata.metadata_log}
    found |= {stats.statistics_path for stats in table.metadata.statistics}
    found |= {stats.statistics_path for stats in table.metadata.partition_statistics}
    seen: set[str] = set()
    for snapshot in table.snapshots():
        found.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(table.io):
            if manifest.manifest_path in seen:
                continue
            seen.add(manifest.manifest_path)
            found.add(manifest.manifest_path)
            # a file a live snapshot only records as deleted is read by none of them
            entries = manifest.fetch_manifest_entry(table.io, discard_deleted=True)
            found |= {entry.data_file.file_path for entry in entries}
    return found
