"""`analytics.anomalies`: one row per incident, replaced rule by rule on each detection.

A run of rule R replaces R's rows (those ending on or after `since`, when given) by what R
finds now, in one commit: a re-run never duplicates an incident, an incident that no longer
holds (data corrected, thresholds raised) disappears, and rows of other rules are untouched.
An incident is identified by `incident_id`, a hash of the rule's name, the entity and the
incident's start; when it is found again it keeps its first `detected_at`, and `last_seen_at`
and `run_id` move to the latest run. An alerting system notifies each `incident_id` once.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.ground.sql import quote_literal
from lakebox.lakehouse import Lakehouse
from lakebox.tables import commit_batch

ANOMALIES = TableRef("analytics", "anomalies")
SCHEMA = pa.schema(
    [
        ("incident_id", pa.string()),
        ("rule", pa.string()),
        ("rule_name", pa.string()),
        ("table_name", pa.string()),
        ("entity", pa.string()),
        ("ids", pa.string()),
        ("ts", pa.timestamp("us")),
        ("ts_end", pa.timestamp("us")),
        ("value", pa.float64()),
        ("expected", pa.float64()),
        ("deviation", pa.float64()),
        ("severity", pa.string()),
        ("detail", pa.string()),
        ("detected_at", pa.timestamp("us", tz="UTC")),
        ("last_seen_at", pa.timestamp("us", tz="UTC")),
        ("run_id", pa.string()),
    ]
)
SEVERITIES = ("info", "warn", "critical")
_NEW = "_lakebox_new_anomalies"
_BATCHES = itertools.count(1)


def replace_rules(
    lh: Lakehouse, run_id: str, rule_names: list[str], found: pa.Table, since: datetime | None
) -> None:
    """Replace the rows of `rule_names` (ending on or after `since`) by `found`, one commit."""
    if not rule_names:
        return
    batch = f"anomalies-{run_id}-{next(_BATCHES)}"
    path = lh.scratch_dir / f"{batch}.parquet"
    lh.engine.register_arrow(_NEW, found.select(SCHEMA.names).cast(SCHEMA))
    try:
        lh.engine.copy_to_parquet(_content_sql(lh, rule_names, since), path)
        commit_batch(lh, ANOMALIES, path, batch, {"lakebox.run": run_id}, replace=True)
    finally:
        lh.engine.unregister(_NEW)
        Path(path).unlink(missing_ok=True)


def stored(lh: Lakehouse) -> pa.Table:
    """Return every stored anomaly (an empty table of the right columns before any)."""
    if lh.catalog.load(ANOMALIES) is None:
        return SCHEMA.empty_table()
    lh.refresh()
    return lh.engine.arrow("SELECT * FROM analytics.anomalies").select(SCHEMA.names)


def _content_sql(lh: Lakehouse, rule_names: list[str], since: datetime | None) -> str:
    """Return the table's new content: the rows kept, and the new ones with their first
    detection carried over."""
    if lh.catalog.load(ANOMALIES) is None:
        return f"SELECT * FROM {_NEW}"
    lh.refresh()
    names = ", ".join(quote_literal(name) for name in rule_names)
    replaced = "TRUE"
    if since is not None:
        replaced = (
            f"ts_end >= {quote_literal(since.replace(tzinfo=None).isoformat())}::TIMESTAMP "
            f"OR incident_id IN (SELECT incident_id FROM {_NEW})"
        )
    return f"""
WITH old AS (SELECT {", ".join(SCHEMA.names)} FROM analytics.anomalies)
SELECT * FROM old WHERE NOT (rule_name IN ({names}) AND ({replaced}))
UNION ALL
SELECT new.* REPLACE (coalesce(old.detected_at, new.detected_at) AS detected_at)
FROM {_NEW} AS new LEFT JOIN old USING (incident_id)
"""
