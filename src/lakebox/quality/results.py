"""`ops.check_results`: every check's outcome, per run and table, kept as an Iceberg table."""

from __future__ import annotations

import itertools
import json

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.ground.clock import now
from lakebox.ground.sql import quote_literal
from lakebox.lakehouse import Lakehouse
from lakebox.quality.checks import CheckResult, History
from lakebox.tables import commit_rows

RESULTS = TableRef("ops", "check_results")
_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("checked_at", pa.timestamp("us", tz="UTC")),
        ("table_name", pa.string()),
        ("check_name", pa.string()),
        ("kind", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),
        ("failing_rows", pa.int64()),
        ("value", pa.float64()),
        ("message", pa.string()),
        ("sample", pa.string()),
    ]
)
_BATCHES = itertools.count(1)


def store(lh: Lakehouse, run_id: str, results: list[CheckResult]) -> None:
    """Append `results` of run `run_id` to `ops.check_results` (one commit)."""
    if not results:
        return
    checked_at = now()
    rows = [
        {
            "run_id": run_id,
            "checked_at": checked_at,
            "table_name": result.table,
            "check_name": result.check,
            "kind": result.kind,
            "severity": result.severity,
            "status": result.status,
            "failing_rows": result.failing_rows,
            "value": result.value,
            "message": result.message,
            "sample": json.dumps(result.sample, default=str) if result.sample else None,
        }
        for result in results
    ]
    batch = f"checks-{run_id}-{checked_at:%H%M%S%f}-{next(_BATCHES)}"
    rows_table = pa.Table.from_pylist(rows, schema=_SCHEMA)
    commit_rows(lh, RESULTS, rows_table, batch, {"lakebox.run": run_id})


def history(lh: Lakehouse) -> History:
    """Return a lookup of a check's last measured values (oldest first) for drift checks."""

    def values(table: str, check: str, window: int) -> list[float]:
        if lh.catalog.load(RESULTS) is None:
            return []
        rows = lh.engine.execute(
            "SELECT value FROM ops.check_results WHERE table_name = ? AND check_name = ? AND value "
            "IS NOT NULL AND NOT isnan(value) AND status <> 'error' ORDER BY checked_at DESC "
            f"LIMIT {int(window)}",
            [table, check],
        ).fetchall()
        return [float(row[0]) for row in reversed(rows)]

    return values


def latest(lh: Lakehouse, table: str | None = None) -> list[CheckResult]:
    """Return the results of each table's most recent checking (of `table` only, if given)."""
    if lh.catalog.load(RESULTS) is None:
        return []
    lh.refresh()
    only = f"AND table_name = {quote_literal(table)}" if table else ""
    rows = lh.engine.arrow(
        "SELECT * FROM ops.check_results r WHERE checked_at = (SELECT max(checked_at) FROM "
        f"ops.check_results l WHERE l.table_name = r.table_name) {only} "
        "ORDER BY table_name, check_name"
    ).to_pylist()
    return [
        CheckResult(
            row["table_name"],
            row["check_name"],
            row["kind"],
            row["severity"],
            row["status"],
            int(row["failing_rows"] or 0),
            row["value"],
            row["message"] or "",
            json.loads(row["sample"]) if row["sample"] else [],
        )
        for row in rows
    ]
