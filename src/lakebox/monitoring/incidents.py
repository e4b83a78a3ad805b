"""Incidents: what is wrong in the lakehouse now, each with an id stable across runs.

Four kinds, gathered by one function each: anomalies at or above a severity, failed blocking
checks (the latest checking of each table), tables older than their `max_age`, and pipelines
whose latest run in `ops.runs` failed. An incident is present while its cause holds; its id
does not change, so an alert can be sent once when it appears and once when it clears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lakebox.catalog import TableRef
from lakebox.config.alerts import SEVERITIES, AlertsConfig
from lakebox.lakehouse import Lakehouse

FAILED_RUN_STATUSES = ("failed", "error")


@dataclass(frozen=True)
class Incident:
    """One thing wrong now: its stable id, kind, where it comes from, a subject and detail."""

    incident_id: str
    kind: str
    source: str
    subject: str
    severity: str
    detail: str = ""


Gatherer = Callable[[Lakehouse, AlertsConfig, datetime], list[Incident]]


def anomalies(lh: Lakehouse, config: AlertsConfig, now: datetime) -> list[Incident]:
    """Return the stored anomalies at or above `config.min_severity`."""
    from lakebox.analysis.anomalies.store import stored

    lowest = SEVERITIES.index(config.min_severity)
    return [
        Incident(
            f"anomaly:{row['incident_id']}",
            "anomalies",
            row["table_name"] or "",
            f"{row['rule_name']}: {row['entity'] or row['table_name']} at {row['ts']}",
            row["severity"],
            row["detail"] or "",
        )
        for row in stored(lh).to_pylist()
        if row["severity"] in SEVERITIES and SEVERITIES.index(row["severity"]) >= lowest
    ]


def failed_checks(lh: Lakehouse, config: AlertsConfig, now: datetime) -> list[Incident]:
    """Return the blocking checks (severity error) that failed or errored when last run."""
    from lakebox.quality.results import latest

    return [
        Incident(
            f"check:{result.table}:{result.check}",
            "checks",
            result.table,
            f"check {result.check} on {result.table}: {result.status}",
            "error",
            result.message,
        )
        for result in latest(lh)
        if result.status in ("fail", "error") and result.severity == "error"
    ]


def stale_tables(lh: Lakehouse, config: AlertsConfig, now: datetime) -> list[Incident]:
    """Return the tables whose last snapshot is older than their `max_age` (or missing)."""
    return [
        Incident(
            f"stale:{target.table}",
            "stale",
            target.table,
            f"{target.table} is stale: {target.written} (max_age {config.max_age[target.table]})",
            "warn",
        )
        for target in freshness(lh, config, now)
        if target.stale
    ]


@dataclass(frozen=True)
class Freshness:
    """A table with a `max_age`: its age (None while it has no snapshot) and that target."""

    table: str
    age_seconds: float | None
    max_age_seconds: int

    @property
    def ref(self) -> TableRef:
        """Return the table's reference."""
        return _table_ref(self.table)

    @property
    def stale(self) -> bool:
        """Return whether the table is older than its target or was never written."""
        return self.age_seconds is None or self.age_seconds > self.max_age_seconds

    @property
    def written(self) -> str:
        """Return when the table was last written, in words."""
        age = self.age_seconds
        return "never written" if age is None else f"last written {int(age)} s ago"


def freshness(lh: Lakehouse, config: AlertsConfig, now: datetime) -> list[Freshness]:
    """Return each table of `config.max_age`, ordered by name, with its age at `now`."""
    return [
        Freshness(table, _age_seconds(lh, _table_ref(table), now), config.max_age_seconds(table))
        for table in sorted(config.max_age)
    ]


def _table_ref(table: str) -> TableRef:
    """Return the reference of a `max_age` key (`zone.table`, as its validator ensures)."""
    zone, _, name = table.partition(".")
    return TableRef(zone, name)


def failed_runs(lh: Lakehouse, config: AlertsConfig, now: datetime) -> list[Incident]:
    """Return the pipelines whose latest run in `ops.runs` failed (none while it is absent)."""
    from lakebox.orchestration.history import latest_by_pipeline

    rows = [run for _, run in sorted(latest_by_pipeline(lh).items())]
    return [
        Incident(
            f"run:{row['pipeline']}",
            "runs",
            row["pipeline"],
            f"pipeline {row['pipeline']} failed (run {row['run_id']})",
            "error",
            row["error"] or "",
        )
        for row in rows
        if str(row["status"]).lower() in FAILED_RUN_STATUSES
    ]


def watched_elsewhere(lh: Lakehouse, config: AlertsConfig, now: datetime) -> list[Incident]:
    """Return nothing: a stream's incidents are opened and resolved by its worker, as its
    rules decide (`alerts.record_changes`), not gathered here."""
    return []


GATHERERS: dict[str, Gatherer] = {
    "anomalies": anomalies,
    "checks": failed_checks,
    "stale": stale_tables,
    "runs": failed_runs,
    "streams": watched_elsewhere,
}


def gather(lh: Lakehouse, now: datetime | None = None) -> list[Incident]:
    """Return every present incident of the kinds `alerts.on` names, ordered by id."""
    config = lh.config.alerts
    moment = now or datetime.now(UTC)
    found = [incident for kind in config.on for incident in GATHERERS[kind](lh, config, moment)]
    return sorted(found, key=lambda incident: incident.incident_id)


def _age_seconds(lh: Lakehouse, ref: TableRef, now: datetime) -> float | None:
    """Return the seconds since `ref`'s current snapshot, or None without one."""
    table = lh.catalog.load(ref)
    snapshot = table.current_snapshot() if table is not None else None
    if snapshot is None:
        return None
    written = datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC)
    return (now - written).total_seconds()
