"""Summaries the CLI prints after a run, for a table's history and for the demo."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from lakebox.catalog import BATCH_PROPERTY, CURSOR_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.cli.render import Output, plain
from lakebox.errors import CatalogError, LakeboxError
from lakebox.exploitation.builder import BuildResult
from lakebox.lakehouse import Lakehouse
from lakebox.landing.state import Cursor
from lakebox.orchestration.runner import RunReport
from lakebox.orchestration.vanished import VANISHED

logger = logging.getLogger(__name__)


# (table, column) of a column a run made disappear -> the nodes of the graph that use it
Users = dict[tuple[str, str], list[str]]


def show_run(output: Output, report: RunReport, users: Users | None = None) -> None:
    """Show what a run landed, formatted and built, and warn of the columns it made
    disappear that something still uses (`users`, see `vanished_users`)."""
    output.data(run_document(report, users))
    _landed(output, report)
    _warnings(output, report, users or {})
    _formatted_table(output, report)
    _entities_table(output, report)
    _checks_line(output, report)
    if report.models:
        output.table(
            "models",
            ["model", "status", "build", "rows", "seconds", "error"],
            [
                [m.model, m.status, _build(m), m.rows, f"{m.seconds:.2f}", m.error or ""]
                for m in report.models
            ],
        )
    if report.analysis:
        output.table(
            "forecasts and anomaly rules",
            ["kind", "name", "status", "rows", "detail"],
            [[a.kind, a.name, a.status, a.rows, a.message] for a in report.analysis],
        )


def _landed(output: Output, report: RunReport) -> None:
    landed = sum(len(item.landed) for item in report.landing)
    sightings = sum(len(item.duplicates) for item in report.landing)
    output.say(
        f"run {report.run_id}: landed {landed} new object(s), {sightings} repeated "
        f"object(s) recorded, in {report.seconds:.1f} s"
    )
    retried = [result for result in report.formatting if result.retried]
    if retried:
        outcomes = Counter(str(result.status) for result in retried)
        shown = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
        output.say(f"retried {len(retried)} failed object(s): {shown}")


def _warnings(output: Output, report: RunReport, users: Users) -> None:
    waiting = failed_waiting(report)
    if waiting:
        output.warn(waiting_message(waiting))
    for item in report.landing:
        if item.error:
            output.warn(f"{item.source}: not collected: {item.error}")
        for passed in item.not_landed:
            output.warn(f"{item.source}: {passed.object} not landed: {passed.reason}")
        for entry in item.superseded:
            output.warn(f"{item.source}: batch {entry.batch_id} superseded: {entry.error}")
    for attempt in report.attempts:
        output.warn(
            f"{attempt.step}: {attempt.status} after {attempt.seconds:.1f} s: {attempt.error}"
        )
    for warning in report.lineage_warnings:
        output.warn(warning)
    for message in vanished_warnings(report, users):
        output.warn(message)


def _entities_table(output: Output, report: RunReport) -> None:
    if not report.entities:
        return
    output.table(
        "entities",
        ["entity", "status", "records", "clusters", "links", "seconds", "error"],
        [
            [e.entity, e.status, e.records, e.clusters, e.links, f"{e.seconds:.2f}", e.error or ""]
            for e in report.entities
        ],
    )


def _checks_line(output: Output, report: RunReport) -> None:
    if not report.checks:
        return
    from lakebox.cli.checks import show_checks

    failing = [check for check in report.checks if check.status != "pass"]
    passed = len(report.checks) - len(failing)
    output.say(f"checks: {passed} passed, {len(failing)} failed or warned")
    if failing and not output.as_json:
        show_checks(output, failing)


def _formatted_table(output: Output, report: RunReport) -> None:
    output.table(
        "formatted",
        ["source", "batch", "status", "read", "formatted", "quarantined", "duplicate", "error"],
        [
            [
                r.source,
                r.batch_id,
                r.status,
                r.counts.rows_read,
                r.counts.rows_formatted,
                r.counts.rows_quarantined,
                r.counts.rows_duplicate,
                r.error or "",
            ]
            for r in report.formatting
        ],
    )


def _build(result: BuildResult) -> str:
    """Return how a model was built: full or incremental, and why or what it replaced."""
    if result.mode is None:
        return ""
    return f"{result.mode}: {result.reason}" if result.reason else result.mode


def show_reformat(output: Output, report: RunReport, has_models: bool) -> None:
    """Show what a reformat did: the batches formatted again and the rows each table now has
    from them; it builds no models, so say how to rebuild them when the project has some."""
    output.data({**run_document(report), "models_rebuilt": False})
    outcomes = Counter(str(result.status) for result in report.formatting)
    shown = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
    output.say(
        f"reformat {report.run_id}: reformatted {len(report.formatting)} batch(es)"
        f"{': ' + shown if shown else ''}, in {report.seconds:.1f} s"
    )
    for source, (formatted, quarantined) in _rows_per_source(report).items():
        output.say(
            f"  {source}: {formatted} row(s) into formatted.{source}, "
            f"{quarantined} into quarantine.{source}"
        )
    for attempt in report.attempts:
        output.warn(f"{attempt.step}: {attempt.status}: {attempt.error}")
    for warning in report.lineage_warnings:
        output.warn(warning)
    _formatted_table(output, report)
    if has_models:
        output.say("models not rebuilt; run `lakebox run` to rebuild them")


def _rows_per_source(report: RunReport) -> dict[str, tuple[int, int]]:
    rows: dict[str, tuple[int, int]] = {}
    for result in report.formatting:
        formatted, quarantined = rows.get(result.source, (0, 0))
        rows[result.source] = (
            formatted + result.counts.rows_formatted,
            quarantined + result.counts.rows_quarantined,
        )
    return rows


SHOWN_BATCHES = 3


def failed_waiting(report: RunReport) -> list[str]:
    """Return the batch ids of the failed objects the run left as they are, once each."""
    return list(dict.fromkeys(report.failed_waiting))


def waiting_message(batch_ids: list[str]) -> str:
    """Return the reminder that failed objects wait, naming a few of their batches."""
    shown = ", ".join(batch_ids[:SHOWN_BATCHES])
    more = f" and {len(batch_ids) - SHOWN_BATCHES} more" if len(batch_ids) > SHOWN_BATCHES else ""
    return (
        f"{len(batch_ids)} failed object(s) wait for a config change or "
        f"`lakebox reformat --batch ID` ({shown}{more})"
    )


def vanished_users(lh: Lakehouse, report: RunReport) -> Users:
    """Return what uses each column the run made disappear: the nodes one link downstream
    of it in the project's lineage graph, traced as if the column were still there."""
    vanished = report.of(VANISHED.name)
    if not vanished:
        return {}
    from lakebox.serving.lineage import full_graph

    kept: dict[TableRef, list[str]] = {}
    for gone in vanished:
        zone, _, name = gone.table.partition(".")
        kept.setdefault(TableRef(zone, name), []).append(gone.column)
    try:
        graph = full_graph(lh, kept)
    except LakeboxError as error:  # the graph cannot be made: say so, name no users
        logger.warning("the lineage graph could not be made: %s", error)
        return {}
    return {
        (gone.table, gone.column): [
            step.node.id for step in graph.walk(f"{gone.table}.{gone.column}", "downstream", 1)
        ]
        for gone in vanished
    }


def vanished_warnings(report: RunReport, users: Users) -> list[str]:
    """Return a warning per column the run made disappear that something uses."""
    found = []
    for gone in report.of(VANISHED.name):
        using = users.get((gone.table, gone.column))
        if using:
            found.append(
                f"{gone.step}: column {gone.column} is gone from {gone.table}, but "
                f"{len(using)} thing(s) downstream use it: {', '.join(using)} "
                f"(see 'lakebox impact {gone.table}.{gone.column}')"
            )
    return found


def run_document(report: RunReport, users: Users | None = None) -> dict[str, Any]:
    """Return a run report as plain JSON-able data."""
    vanished = [
        {**plain(gone), "used_by": (users or {}).get((gone.table, gone.column), [])}
        for gone in report.of(VANISHED.name)
    ]
    return {
        "run_id": report.run_id,
        "ok": report.ok,
        "error": report.error,
        "seconds": round(report.seconds, 3),
        "landed": [plain(entry) for item in report.landing for entry in item.landed],
        "repeated": [plain(entry) for item in report.landing for entry in item.duplicates],
        "not_collected": {item.source: item.error for item in report.landing if item.error},
        "not_landed": [
            {"source": item.source, **plain(passed)}
            for item in report.landing
            for passed in item.not_landed
        ],
        "formatted": [plain(result) for result in report.formatting],
        "models": [plain(result) for result in report.models],
        "checks": [plain(result) for result in report.checks],
        "entities": [plain(result) for result in report.entities],
        "analysis": [plain(result) for result in report.analysis],
        "attempts": [plain(attempt) for attempt in report.attempts],
        "failed_waiting": failed_waiting(report),
        "lineage_warnings": report.lineage_warnings,
        "vanished_columns": vanished,
    }


def show_history(output: Output, lh: Lakehouse, name: str) -> None:
    """Show a table's snapshots, newest last."""
    ref = lh.table_named(name)
    name = ref.identifier
    table = lh.catalog.load(ref)
    if table is None:
        raise CatalogError(f"no table {name!r}", hint="list tables with 'lakebox tables'")
    rows = []
    for snapshot in table.snapshots():
        summary = snapshot.summary
        extra = snapshot_properties(snapshot)
        rows.append(
            {
                "snapshot_id": snapshot.snapshot_id,
                "committed_at": datetime.fromtimestamp(
                    snapshot.timestamp_ms / 1000, UTC
                ).isoformat(),
                "operation": str(summary.operation.value) if summary else "",
                "batch_ids": extra.get(BATCH_PROPERTY, ""),
                "total_rows": extra.get("total-records", ""),
                "cursor": _cursor_value(extra.get(CURSOR_PROPERTY)),
            }
        )
    output.data(rows)
    output.table(
        f"history of {name}",
        list(rows[0]) if rows else ["snapshot_id"],
        [list(row.values()) for row in rows],
    )


def _cursor_value(text: str | None) -> str:
    """Return the state a pulled batch brought its source to, or "" for other commits."""
    if not text:
        return ""
    cursor = Cursor.from_json(text)
    return f"{cursor.field} = {cursor.value}"


def show_tables(output: Output, lh: Lakehouse) -> None:
    """Show every table of every zone with its row count."""
    refs = sorted(lh.catalog.metadata_locations(), key=lambda ref: ref.identifier)
    rows = [lh.catalog.summary(ref) for ref in refs]
    output.data(rows)
    output.table("tables", ["table", "rows", "snapshot_id"], [list(r.values()) for r in rows])


def show_demo(output: Output, summary: Any) -> None:
    """Show the demo's summary: rows per zone, quarantine reasons, time taken."""
    output.data(plain(summary))
    output.say(f"demo built in {summary.seconds:.1f} s at {summary.project_dir}")
    output.table(
        "rows per zone",
        ["zone", "tables", "rows"],
        [[zone, tables, rows] for zone, (tables, rows) in summary.zones.items()],
    )
    if summary.pulls:
        output.table(
            f"client API pulls ({summary.api_url}, stopped again)",
            ["pull", "first request", "pages", "rows"],
            [
                [number, pull.request or "(nothing new)", pull.pages, pull.rows]
                for number, pull in enumerate(summary.pulls, start=1)
            ],
        )
    output.table(
        "checks that failed or warned (docs/checks.md)",
        ["table", "check", "status", "message"],
        [list(row) for row in summary.checks],
    )
    output.table(
        "quarantine reasons",
        ["source", "reason", "rows"],
        [list(row) for row in summary.quarantine_reasons],
    )
    output.table(
        "forecasts and anomaly rules (docs/forecasting.md, docs/anomalies.md)",
        ["kind", "name", "status", "rows", "detail"],
        [list(row) for row in summary.analysis],
    )
    output.say(
        f"try: lakebox query -p {summary.project_dir} "
        '"SELECT * FROM exploitation.traffic_store_daily_deviation LIMIT 10"'
    )
