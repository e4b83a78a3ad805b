"""The check runs recorded in `ops.check_results`: one summary per run (when it started and
ended, how many tables and checks, how many passed, warned and failed), newest first."""

from __future__ import annotations

from typing import Any

from lakebox.engine import Read
from lakebox.lakehouse import Lakehouse
from lakebox.quality.results import RESULTS


def recent_check_runs(lh: Lakehouse, read: Read, limit: int) -> list[dict[str, Any]]:
    """Return the latest `limit` check runs, newest first (none before the first check)."""
    if RESULTS not in lh.catalog.metadata_locations():
        return []
    found: list[dict[str, Any]] = read(
        "SELECT run_id, min(checked_at) AS started_at, max(checked_at) AS finished_at, "
        "count(DISTINCT table_name) AS tables, count(*) AS checks, "
        "count(*) FILTER (WHERE status = 'pass') AS passed, "
        "count(*) FILTER (WHERE status = 'warn') AS warned, "
        "count(*) FILTER (WHERE status IN ('fail', 'error')) AS failed "
        f"FROM {RESULTS.identifier} GROUP BY run_id ORDER BY started_at DESC LIMIT {limit}"
    ).to_pylist()
    return found
