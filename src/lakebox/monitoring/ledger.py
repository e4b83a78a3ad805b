"""`ops.alerts`: one row per incident ever alerted, its status and what was delivered where.

The table is the alerting's memory across runs and processes: an open incident whose row says
it was delivered to a channel is never sent there again; a row whose delivery failed keeps the
error in `last_error`, and the next evaluation sends to the channels still missing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.lakehouse import Lakehouse
from lakebox.tables import commit_rows

ALERTS = TableRef("ops", "alerts")
_TIME = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [
        ("incident_id", pa.string()),
        ("kind", pa.string()),
        ("source", pa.string()),
        ("subject", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),
        ("opened_at", _TIME),
        ("resolved_at", _TIME),
        ("notified_at", _TIME),
        ("channels", pa.string()),
        ("last_error", pa.string()),
    ]
)


@dataclass
class AlertRecord:
    """An incident's alert: open or resolved, and the channels told of its current status."""

    incident_id: str
    kind: str
    source: str
    subject: str
    severity: str
    status: str
    opened_at: datetime
    resolved_at: datetime | None = None
    notified_at: datetime | None = None
    channels: list[str] = field(default_factory=list)
    last_error: str | None = None


def load(lh: Lakehouse) -> dict[str, AlertRecord]:
    """Return every stored alert by incident id (none before the first evaluation)."""
    if lh.catalog.load(ALERTS) is None:
        return {}
    lh.refresh()
    rows = lh.engine.arrow(f"SELECT {', '.join(SCHEMA.names)} FROM ops.alerts").to_pylist()
    return {row["incident_id"]: _record(row) for row in rows}


def save(lh: Lakehouse, records: dict[str, AlertRecord]) -> None:
    """Replace the content of `ops.alerts` by `records`, in one commit."""
    rows = [
        {**asdict(record), "channels": json.dumps(record.channels)} for record in records.values()
    ]
    batch = f"alerts-{uuid.uuid4().hex}"
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    commit_rows(lh, ALERTS, table, batch, {}, replace=True)


@dataclass
class LedgerCache:
    """The ledger as one writer last saw it: reused while `ops.alerts` has not changed since
    (its current snapshot), so a busy writer does not read the table back before each save."""

    snapshot_id: int | None = None
    records: dict[str, AlertRecord] | None = None


def load_cached(lh: Lakehouse, cache: LedgerCache) -> dict[str, AlertRecord]:
    """Return the stored alerts, from `cache` when the table is as the cache last saw it."""
    table = lh.catalog.load(ALERTS)
    snapshot = table.current_snapshot() if table is not None else None
    current = snapshot.snapshot_id if snapshot is not None else None
    if cache.records is None or current != cache.snapshot_id:
        cache.records, cache.snapshot_id = load(lh), current
    return cache.records


def save_cached(lh: Lakehouse, records: dict[str, AlertRecord], cache: LedgerCache) -> None:
    """Save `records` and remember the snapshot written (forgotten if the save fails)."""
    cache.records = None
    save(lh, records)
    table = lh.catalog.load(ALERTS)
    snapshot = table.current_snapshot() if table is not None else None
    cache.records, cache.snapshot_id = records, snapshot.snapshot_id if snapshot else None


def _record(row: dict[str, object]) -> AlertRecord:
    channels = json.loads(str(row["channels"])) if row["channels"] else []
    return AlertRecord(**{**row, "channels": channels})  # type: ignore[arg-type]
