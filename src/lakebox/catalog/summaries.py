"""What the catalog tells of its tables: every table by zone and name, one table's row count
and current snapshot, its snapshot history, and the snapshot it had at a time (time travel).
The HTTP API and the web UI show these."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from lakebox.catalog.iceberg import Catalog, snapshot_properties
from lakebox.catalog.refs import BATCH_PROPERTY, TableRef
from lakebox.errors import CatalogError, QueryError
from lakebox.ground.clock import moment_of


def all_tables(catalog: Catalog) -> list[TableRef]:
    """Return every table of the catalog, by zone and name."""
    return sorted(catalog.metadata_locations(), key=lambda ref: ref.identifier)


def known_table(catalog: Catalog, zone: str, name: str) -> TableRef:
    """Return the TableRef of `zone.name`, or raise CatalogError (a 404) if there is none."""
    ref = TableRef(zone, name)
    if ref not in catalog.metadata_locations():
        raise CatalogError(
            f"no table {ref.identifier!r}", hint="list the tables with GET /api/tables"
        )
    return ref


def table_summary(catalog: Catalog, ref: TableRef) -> dict[str, Any]:
    """Return a table's name, zone, rows, current snapshot, its commit time and how many
    snapshots the table has."""
    table = catalog.load(ref)
    snapshot = table.current_snapshot() if table is not None else None
    return {
        "table": ref.identifier,
        "zone": ref.zone,
        "name": ref.name,
        "rows": int(snapshot_properties(snapshot).get("total-records", 0)),
        "snapshot_id": snapshot.snapshot_id if snapshot else None,
        "committed_at": _committed_at(snapshot.timestamp_ms) if snapshot else None,
        "snapshot_count": len(table.snapshots()) if table is not None else 0,
    }


def _committed_at(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def snapshots(catalog: Catalog, ref: TableRef) -> list[dict[str, Any]]:
    """Return a table's snapshots, oldest first: id, commit time, operation, batches, rows."""
    table = catalog.load(ref)
    found = []
    for snapshot in table.snapshots() if table is not None else []:
        extra = snapshot_properties(snapshot)
        found.append(
            {
                "snapshot_id": snapshot.snapshot_id,
                "committed_at": _committed_at(snapshot.timestamp_ms),
                "operation": snapshot.summary.operation.value if snapshot.summary else None,
                "batch_ids": json.loads(extra.get(BATCH_PROPERTY, "[]")),
                "rows": int(extra.get("total-records", 0)),
            }
        )
    return found


def snapshot_as_of(catalog: Catalog, ref: TableRef, as_of: str) -> dict[str, Any]:
    """Return the snapshot of `ref` with id `as_of`, or the one current at ISO time `as_of`."""
    found = snapshots(catalog, ref)
    if re.fullmatch(r"[0-9]+", as_of.strip()):
        matching = [s for s in found if s["snapshot_id"] == int(as_of)]
        hint = f"pick one from GET /api/tables/{ref.zone}/{ref.name}"
        if not matching:
            raise QueryError(f"{ref.identifier} has no snapshot {as_of}", hint=hint)
        return matching[0]
    moment = _moment(as_of)
    before = [s for s in found if s["committed_at"] <= moment]
    if not before:
        raise QueryError(
            f"{ref.identifier} had no snapshot yet at {moment.isoformat()}",
            hint="pick a later time, or a snapshot id from the table's history",
        )
    return max(before, key=lambda s: s["committed_at"])


def _moment(as_of: str) -> datetime:
    """Return ISO time `as_of` as an aware UTC time (a naive time is taken as UTC)."""
    try:
        moment = moment_of(as_of)
    except ValueError:
        raise QueryError(
            f"as_of {as_of!r} is neither a snapshot id nor an ISO time",
            hint="e.g. as_of=2026-11-23T10:00:00 or a snapshot id from the table's history",
        ) from None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # an offset that pushes year 1 or 9999 out of range
        raise QueryError(
            f"as_of {as_of!r} is outside the times UTC can hold (years 1 to 9999)",
            hint="e.g. as_of=2026-11-23T10:00:00 or a snapshot id from the table's history",
        ) from None
