"""`detect`: run the declared anomaly rules and keep what they find in `analytics.anomalies`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from lakebox.analysis.anomalies import store
from lakebox.analysis.anomalies.rules import compile_rule
from lakebox.catalog import TableRef
from lakebox.config.anomalies import AnomalyRuleConfig
from lakebox.errors import AnomalyError, LakeboxError
from lakebox.ground.clock import new_batch_id, now
from lakebox.ground.sql import quote_literal
from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)
FORECAST_COLUMNS = ("forecast", "model", "created_at")


@dataclass
class RuleOutcome:
    """What one rule did: `ok` with its counts per severity, `skipped` (its table does not
    exist yet) or `failed` (with why)."""

    name: str
    rule: str
    table: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0

    @property
    def found(self) -> int:
        """Return how many anomalies the rule found."""
        return sum(self.counts.values())


@dataclass
class AnomalyReport:
    """One detection run: each rule's outcome and the anomalies found (as stored)."""

    run_id: str
    outcomes: list[RuleOutcome] = field(default_factory=list)
    anomalies: pa.Table = field(default_factory=store.SCHEMA.empty_table)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Return whether no rule failed (a skipped rule is not a failure)."""
        return all(outcome.status != "failed" for outcome in self.outcomes)


def detect(
    lh: Lakehouse,
    names: list[str] | None = None,
    since: datetime | None = None,
    run_id: str | None = None,
) -> AnomalyReport:
    """Run the declared rules (only `names`, if given) and replace their rows in
    `analytics.anomalies`; with `since`, only incidents ending on or after it are replaced."""
    started = time.monotonic()
    report = AnomalyReport(run_id or new_batch_id(now()))
    detected_at = now()
    found: list[pa.Table] = []
    for name, rule in declared(lh, names).items():
        outcome, rows = _run_rule(lh, name, rule, since, report.run_id, detected_at)
        report.outcomes.append(outcome)
        if rows is not None:
            found.append(rows)
    ran = [outcome.name for outcome in report.outcomes if outcome.status == "ok"]
    report.anomalies = _ordered(pa.concat_tables(found) if found else store.SCHEMA.empty_table())
    store.replace_rules(lh, report.run_id, ran, report.anomalies, since)
    report.seconds = time.monotonic() - started
    return report


def declared(lh: Lakehouse, names: list[str] | None = None) -> dict[str, AnomalyRuleConfig]:
    """Return the rules declared in lakebox.yaml (only `names`, in that order, if given)."""
    rules = lh.config.anomalies
    if not names:
        return dict(rules)
    unknown = [name for name in names if name not in rules]
    if unknown:
        raise AnomalyError(
            f"no anomaly rule named {unknown[0]!r} (declared: {', '.join(rules) or 'none'})",
            hint="declare it under 'anomalies:' in lakebox.yaml (docs/anomalies.md)",
        )
    return {name: rules[name] for name in names}


def compiled(name: str, rule: AnomalyRuleConfig, run_id: str, detected_at: datetime) -> str:
    """Return the SELECT of a rule's anomalies with every column of `analytics.anomalies`."""
    stamp = f"{quote_literal(detected_at.isoformat())}::TIMESTAMPTZ"
    return f"""
SELECT
    md5(concat_ws('|', {quote_literal(name)}, entity, CAST(ts AS VARCHAR))) AS incident_id,
    {quote_literal(rule.kind)} AS rule,
    {quote_literal(name)} AS rule_name,
    {quote_literal(rule.table)} AS table_name,
    found.*,
    {stamp} AS detected_at,
    {stamp} AS last_seen_at,
    {quote_literal(run_id)} AS run_id
FROM ({compile_rule(rule)}) AS found
"""


def _run_rule(
    lh: Lakehouse,
    name: str,
    rule: AnomalyRuleConfig,
    since: datetime | None,
    run_id: str,
    detected_at: datetime,
) -> tuple[RuleOutcome, pa.Table | None]:
    """Return a rule's outcome and its rows (None unless it ran)."""
    started = time.monotonic()
    outcome = RuleOutcome(name, rule.kind, rule.table, "ok")
    try:
        missing = _missing(lh, rule)
        if missing:
            outcome.status, outcome.message = "skipped", missing
            return outcome, None
        select = compiled(name, rule, run_id, detected_at)
        if since is not None:
            select = f"SELECT * FROM ({select}) WHERE ts_end >= {_timestamp(since)}"
        rows = lh.engine.arrow(select).select(store.SCHEMA.names).cast(store.SCHEMA)
    except LakeboxError as error:
        logger.warning("anomaly rule %s failed: %s", name, error)
        outcome.status, outcome.message = "failed", str(error)
        return outcome, None
    finally:
        outcome.seconds = time.monotonic() - started
    outcome.counts = _counts(rows)
    return outcome, rows


def _missing(lh: Lakehouse, rule: AnomalyRuleConfig) -> str:
    """Return why the rule cannot run yet (a table not built), or '' when it can; raise
    AnomalyError when a table lacks a column the rule names."""
    needs = {rule.table: [*rule.ids, rule.time, rule.value]}
    if rule.outside_forecast is not None:
        spec = rule.outside_forecast
        needs[spec.forecast] = [*rule.ids, spec.forecast_time, *FORECAST_COLUMNS]
    if rule.failed_sensor is not None and rule.failed_sensor.hours_table is not None:
        hours = rule.failed_sensor.hours_table
        needs[hours.table] = [*hours.on, hours.weekday, hours.opens, hours.closes]
    lh.refresh()
    for table, columns in needs.items():
        zone, _, table_name = table.partition(".")
        if lh.catalog.load(TableRef(zone, table_name)) is None:
            return f"{table} does not exist yet"
        _check_columns(lh, table, columns)
    return ""


def _check_columns(lh: Lakehouse, table: str, columns: list[str]) -> None:
    zone, _, name = table.partition(".")
    present = {
        row[0]
        for row in lh.engine.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
            "table_name = ?",
            [zone, name],
        ).fetchall()
    }
    absent = [column for column in dict.fromkeys(columns) if column not in present]
    if absent:
        raise AnomalyError(
            f"{table} has no column {absent[0]!r} (columns: {', '.join(sorted(present))})",
            hint="fix the rule's ids, time or value in lakebox.yaml",
            table=table,
        )


def _timestamp(moment: datetime) -> str:
    return f"{quote_literal(moment.replace(tzinfo=None).isoformat())}::TIMESTAMP"


def _counts(rows: pa.Table) -> dict[str, int]:
    severities = rows.column("severity").to_pylist()
    return {level: severities.count(level) for level in store.SEVERITIES if level in severities}


def _ordered(rows: pa.Table) -> pa.Table:
    """Return `rows` most severe first, then by rule, time and entity."""
    rank = {level: position for position, level in enumerate(reversed(store.SEVERITIES))}
    keys = [
        (rank.get(severity, 9), rule, ts, entity)
        for severity, rule, ts, entity in zip(
            rows.column("severity").to_pylist(),
            rows.column("rule_name").to_pylist(),
            rows.column("ts").to_pylist(),
            rows.column("entity").to_pylist(),
            strict=True,
        )
    ]
    order = sorted(range(rows.num_rows), key=keys.__getitem__)
    return rows.take(pa.array(order, pa.int64()))
