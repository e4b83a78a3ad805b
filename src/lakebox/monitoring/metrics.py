"""Prometheus metrics of a lakehouse: table rows and freshness (against `alerts.max_age`),
disk per zone, failed checks, pipeline runs and their steps, and open anomalies, read fresh
on every scrape."""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lakebox.analysis.anomalies.store import ANOMALIES
from lakebox.analysis.registry import MODELS
from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.errors import LakeboxError
from lakebox.lakehouse import LANDING_PREFIX, WAREHOUSE_PREFIX, ZONE_SCHEMAS, Lakehouse
from lakebox.monitoring.incidents import freshness
from lakebox.orchestration.history import RUNS, STEP_RUNS

logger = logging.getLogger(__name__)
CHECK_STATUSES = ("pass", "warn", "fail", "error")


class LakehouseCollector(Collector):
    """Yields the metrics of one lakehouse each time the registry is scraped."""

    def __init__(self, lh: Lakehouse) -> None:
        self.lh = lh

    def collect(self) -> Iterator[Metric]:
        tables = self.lh.catalog.metadata_locations()
        yield from table_metrics(self.lh, tables)
        yield from freshness_metrics(self.lh)
        yield zone_bytes(self.lh)
        readers = [check_metrics]
        readers += [run_metrics] if RUNS in tables else []
        readers += [step_metrics] if RUNS in tables and STEP_RUNS in tables else []
        readers += [open_anomalies] if ANOMALIES in tables else []
        readers += [model_metrics] if MODELS in tables else []
        # The serve app answers requests in threads: the engine is used by one at a time.
        with self.lh.engine.lock:
            _refresh(self.lh)  # once: every reader queries the tables' current snapshots
            found = [metric for reader in readers for metric in _read_or_skip(reader, self.lh)]
        yield from found


def _refresh(lh: Lakehouse) -> None:
    try:
        lh.refresh()
    except LakeboxError as error:  # each reader then skips what it cannot read
        logger.warning("metrics: the tables could not be refreshed: %s", error)


def _read_or_skip(reader: Callable[[Lakehouse], list[Metric]], lh: Lakehouse) -> list[Metric]:
    """Return what `reader` finds, or nothing when its table cannot be read (a scrape still
    answers with every other metric; the reason is logged)."""
    try:
        return reader(lh)
    except LakeboxError as error:
        logger.warning("metrics: %s skipped: %s", reader.__name__, error)
        return []


def registry(lh: Lakehouse) -> CollectorRegistry:
    """Return a fresh registry holding `lh`'s collector and the serving process's own
    (`process_resident_memory_bytes`, CPU seconds, open files)."""
    fresh = CollectorRegistry(auto_describe=False)
    fresh.register(LakehouseCollector(lh))
    ProcessCollector(registry=fresh)
    return fresh


def collect(lh: Lakehouse) -> bytes:
    """Return `lh`'s metrics in the Prometheus text exposition format."""
    return generate_latest(registry(lh))


def table_metrics(lh: Lakehouse, tables: Iterable[TableRef]) -> list[Metric]:
    """Return each table's row count, last commit time and age (seconds since that commit)."""
    labels = ["zone", "table"]
    rows = GaugeMetricFamily("lakebox_table_rows", "Rows in the current snapshot", labels=labels)
    committed = GaugeMetricFamily(
        "lakebox_table_last_commit_timestamp_seconds",
        "Unix time of the current snapshot's commit",
        labels=labels,
    )
    age = GaugeMetricFamily(
        "lakebox_table_age_seconds", "Seconds since the current snapshot's commit", labels=labels
    )
    now = time.time()
    for ref in sorted(tables, key=lambda ref: ref.identifier):
        count, moment = _rows_and_commit_time(lh, ref)
        rows.add_metric([ref.zone, ref.name], count)
        if moment is not None:
            committed.add_metric([ref.zone, ref.name], moment)
            age.add_metric([ref.zone, ref.name], max(0.0, now - moment))
    return [rows, committed, age]


def _rows_and_commit_time(lh: Lakehouse, ref: TableRef) -> tuple[int, float | None]:
    """Return a table's row count and its current snapshot's commit time (None if empty)."""
    table = lh.catalog.load(ref)
    snapshot = table.current_snapshot() if table is not None else None
    rows = int(snapshot_properties(snapshot).get("total-records", 0))
    return rows, snapshot.timestamp_ms / 1000 if snapshot is not None else None


def freshness_metrics(lh: Lakehouse) -> list[Metric]:
    """Return each `alerts.max_age` target and whether its table is stale now (older than
    the target, or never written): the alerts' own notion of stale."""
    labels = ["zone", "table"]
    target = GaugeMetricFamily(
        "lakebox_table_max_age_seconds", "Declared freshness target (alerts.max_age)", labels=labels
    )
    stale = GaugeMetricFamily(
        "lakebox_table_stale",
        "1 when the table is older than its max_age or does not exist yet, else 0",
        labels=labels,
    )
    for table in freshness(lh, lh.config.alerts, datetime.now(UTC)):
        target.add_metric([table.ref.zone, table.ref.name], table.max_age_seconds)
        stale.add_metric([table.ref.zone, table.ref.name], int(table.stale))
    return [target, stale]


def zone_bytes(lh: Lakehouse) -> GaugeMetricFamily:
    """Return the bytes on disk per zone (local storage only; remote storage is not walked)."""
    gauge = GaugeMetricFamily("lakebox_zone_bytes", "Bytes on local disk per zone", labels=["zone"])
    if not lh.storage.is_local:
        return gauge
    warehouse = lh.storage.local_path(WAREHOUSE_PREFIX)
    sizes = {zone: _folder_bytes(warehouse / zone) for zone in ZONE_SCHEMAS}
    sizes["landing"] += _folder_bytes(lh.storage.local_path(LANDING_PREFIX))
    for zone, size in sizes.items():
        gauge.add_metric([zone], size)
    return gauge


def _folder_bytes(folder: Path | str) -> int:
    """Return the total size of the files below `folder` (0 if it does not exist)."""
    total = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            total += _folder_bytes(entry.path)
        elif entry.is_file(follow_symlinks=False):
            total += entry.stat(follow_symlinks=False).st_size
    return total


def check_metrics(lh: Lakehouse) -> list[Metric]:
    """Return, per table, the latest checks by status and how many of them failed."""
    from lakebox.quality import results

    latest = results.latest(lh)
    by_status = GaugeMetricFamily(
        "lakebox_checks", "Latest check results per table and status", labels=["table", "status"]
    )
    failed = GaugeMetricFamily(
        "lakebox_checks_failed",
        "Latest checks that failed (fail or error) per table",
        labels=["table"],
    )
    counts = Counter((result.table, result.status) for result in latest)
    for table in sorted({result.table for result in latest}):
        for status in CHECK_STATUSES:
            by_status.add_metric([table, status], counts[table, status])
        failed.add_metric([table], counts[table, "fail"] + counts[table, "error"])
    return [by_status, failed]


def run_metrics(lh: Lakehouse) -> list[Metric]:
    """Return runs per pipeline and status, the last run's duration and the rows processed."""
    runs = CounterMetricFamily(
        "lakebox_runs", "Pipeline runs by status", labels=["pipeline", "status"]
    )
    for pipeline, status, count in _rows(lh, _PER_STATUS):
        runs.add_metric([pipeline, status], count)
    duration = GaugeMetricFamily(
        "lakebox_run_duration_seconds", "Duration of each pipeline's last run", labels=["pipeline"]
    )
    processed = CounterMetricFamily(
        "lakebox_rows_processed", "Rows written by a pipeline's runs", labels=["pipeline"]
    )
    memory = GaugeMetricFamily(
        "lakebox_run_peak_memory_bytes",
        "Peak resident memory of the process of each pipeline's last run",
        labels=["pipeline"],
    )
    for pipeline, seconds, rows, peak in _rows(lh, _PER_PIPELINE):
        if seconds is not None:
            duration.add_metric([pipeline], seconds)
        if peak is not None:
            memory.add_metric([pipeline], peak)
        processed.add_metric([pipeline], rows or 0)
    return [runs, duration, processed, memory]


_PER_STATUS = (
    "SELECT coalesce(pipeline, ''), coalesce(status, ''), count(*) FROM ops.runs "
    "GROUP BY ALL ORDER BY ALL"
)
_PER_PIPELINE = (
    "SELECT coalesce(pipeline, '') AS name, arg_max(seconds, started_at), sum(rows_out), "
    "arg_max(peak_memory_bytes, started_at) FROM ops.runs GROUP BY name ORDER BY name"
)


def step_metrics(lh: Lakehouse) -> list[Metric]:
    """Return, per pipeline and step kind, the time the kind took in the pipeline's latest run
    and the failed and retried attempts of all its runs (`ops.step_runs` by `ops.runs`)."""
    labels = ["pipeline", "kind"]
    duration = GaugeMetricFamily(
        "lakebox_step_duration_seconds",
        "Seconds each step kind took in the pipeline's latest run",
        labels=labels,
    )
    for pipeline, kind, seconds in _rows(lh, _LATEST_STEPS):
        duration.add_metric([pipeline, kind], seconds or 0.0)
    failures = CounterMetricFamily(
        "lakebox_step_failures", "Step attempts that failed, in all runs", labels=labels
    )
    retries = CounterMetricFamily(
        "lakebox_step_retries", "Step attempts that failed and were retried", labels=labels
    )
    for pipeline, kind, failed, retried in _rows(lh, _STEP_OUTCOMES):
        failures.add_metric([pipeline, kind], failed)
        retries.add_metric([pipeline, kind], retried)
    return [duration, failures, retries]


_LATEST_STEPS = (
    "WITH latest AS (SELECT coalesce(pipeline, '') AS pipeline, arg_max(run_id, started_at) "
    "AS run_id FROM ops.runs GROUP BY 1) "
    "SELECT latest.pipeline, coalesce(s.kind, ''), sum(s.seconds) "
    "FROM ops.step_runs s JOIN latest USING (run_id) GROUP BY ALL ORDER BY ALL"
)
_STEP_OUTCOMES = (
    "SELECT coalesce(r.pipeline, ''), coalesce(s.kind, ''), "
    "count(*) FILTER (WHERE s.status = 'failed'), count(*) FILTER (WHERE s.status = 'retried') "
    "FROM ops.step_runs s JOIN ops.runs r USING (run_id) GROUP BY ALL ORDER BY ALL"
)


def open_anomalies(lh: Lakehouse) -> list[Metric]:
    """Return the incidents in `analytics.anomalies` per severity (a row there is open: an
    incident that no longer holds is removed by the next detection)."""
    gauge = GaugeMetricFamily(
        "lakebox_anomalies_open", "Open anomaly incidents by severity", labels=["severity"]
    )
    query = "SELECT severity, count(*) FROM analytics.anomalies GROUP BY ALL ORDER BY ALL"
    for severity, count in _rows(lh, query):
        gauge.add_metric([severity or ""], count)
    return [gauge]


def model_metrics(lh: Lakehouse) -> list[Metric]:
    """Return the numeric evaluation metrics of each model's production version (from the
    registry, `analytics.models`), so a drop after a promotion can be alerted on."""
    from lakebox.analysis.registry import PRODUCTION, list_versions

    gauge = GaugeMetricFamily(
        "lakebox_model_metric",
        "Evaluation metrics of each model's production version",
        labels=["model", "version", "metric"],
    )
    for version in list_versions(lh):
        if version.status != PRODUCTION:
            continue
        for metric, value in sorted(version.metrics.items()):
            if isinstance(value, int | float) and not isinstance(value, bool):
                gauge.add_metric([version.name, str(version.version), metric], value)
    return [gauge]


def _rows(lh: Lakehouse, sql: str) -> list[tuple]:
    return [tuple(row.values()) for row in lh.engine.arrow(sql).to_pylist()]
