"""`failed_sensor`: runs of a sentinel reading (e.g. -1), and runs of zeros while open.

Readings are ordered by time per id; consecutive readings in the same state form a run
(gaps and islands: the difference of two row numbers is constant along a run). A run of the
sentinel (or of NULLs, with `null_is_failure`) counts every reading, open or closed. A run of
zeros counts readings during opening hours only, so the closed night between two days of zeros
neither breaks nor lengthens it; without opening hours zeros are not judged. One row per run:
`ts`..`ts_end` its first and last reading, `value` its length in readings.
"""

from __future__ import annotations

from lakebox.analysis.anomalies import sql
from lakebox.config.anomalies import AnomalyRuleConfig, FailedSensor
from lakebox.ground.sql import quote_identifier

_CLOCK = "%a %Y-%m-%d %H:%M"


def compile_rule(rule: AnomalyRuleConfig) -> str:
    """Return the SELECT giving one row per run long enough, in RULE_COLUMNS."""
    spec = rule.failed_sensor
    assert spec is not None
    runs = [_runs(rule, "failed", _failed(spec), "TRUE")]
    if spec.checks_zeros:
        runs.append(_runs(rule, "zero", "coalesce(value = 0, FALSE)", "open"))
    return f"""
WITH readings AS ({_readings(rule, spec)}),
runs AS ({" UNION ALL ".join(runs)})
SELECT
    {_columns(rule, spec)}
FROM runs
WHERE readings >= CASE kind WHEN 'failed' THEN {spec.min_run} ELSE {spec.zero_min_run} END
"""


def _readings(rule: AnomalyRuleConfig, spec: FailedSensor) -> str:
    """Each reading's ids, time, value and whether the place was open then."""
    stamp = f"CAST(r.{quote_identifier(rule.time)} AS TIMESTAMP)"
    select = (
        f"SELECT {sql.id_list(rule.ids, 'r', trailing=True)}{stamp} AS ts, "
        f"CAST(r.{quote_identifier(rule.value)} AS DOUBLE) AS value, {_open(spec, stamp)} AS open "
        f"FROM {sql.source_rows(rule)} AS r"
    )
    if spec.hours_table is None:
        return select
    hours = spec.hours_table
    matches = " AND ".join(
        f"h.{quote_identifier(column)} = r.{quote_identifier(column)}" for column in hours.on
    )
    return (
        f"{select} LEFT JOIN {sql.relation(hours.table)} AS h ON {matches} AND "
        f"h.{quote_identifier(hours.weekday)} = isodow({stamp})"
    )


def _open(spec: FailedSensor, stamp: str) -> str:
    """Return whether the place is open at `stamp`: by config, by expression or by table."""
    clock = f"(hour({stamp}) + minute({stamp}) / 60)"
    if spec.opening_hours is not None:
        hours = spec.opening_hours
        days = ", ".join(str(day) for day in hours.weekdays)
        return (
            f"(isodow({stamp}) IN ({days}) AND {clock} >= {hours.opens!r} AND "
            f"{clock} < {hours.closes!r})"
        )
    if spec.open_when is not None:
        return f"coalesce(({spec.open_when}), FALSE)"
    if spec.hours_table is not None:
        opens = f"h.{quote_identifier(spec.hours_table.opens)}"
        closes = f"h.{quote_identifier(spec.hours_table.closes)}"
        return f"coalesce({clock} >= {opens} AND {clock} < {closes}, FALSE)"
    return "FALSE"


def _failed(spec: FailedSensor) -> str:
    """Return the condition of a failed reading: the sentinel, or NULL if asked."""
    conditions = []
    if spec.sentinel is not None:
        conditions.append(f"coalesce(value = {spec.sentinel!r}, FALSE)")
    if spec.null_is_failure:
        conditions.append("value IS NULL")
    return " OR ".join(conditions)


def _runs(rule: AnomalyRuleConfig, kind: str, condition: str, considered: str) -> str:
    """Return the runs of readings meeting `condition` among the `considered` readings."""
    ids = sql.id_list(rule.ids)
    islands = (
        f"SELECT *, row_number() OVER ({sql.partition_by(ids)} ORDER BY ts) - row_number() OVER "
        f"({sql.partition_by(ids, 'in_run')} ORDER BY ts) AS island FROM (SELECT *, "
        f"({condition}) AS in_run FROM readings WHERE {considered})"
    )
    return (
        f"SELECT {sql.id_list(rule.ids, trailing=True)}'{kind}' AS kind, min(ts) AS ts, "
        f"max(ts) AS ts_end, count(*) AS readings FROM ({islands}) WHERE in_run "
        f"GROUP BY {sql.id_list(rule.ids, trailing=True)}island"
    )


def _columns(rule: AnomalyRuleConfig, spec: FailedSensor) -> str:
    severity = "'warn'"
    if spec.critical_run is not None:
        severity = f"CASE WHEN readings >= {spec.critical_run} THEN 'critical' ELSE 'warn' END"
    what = f"CASE kind WHEN 'failed' THEN {_failed_words(spec)} ELSE 'counted 0 while open' END"
    return sql.select_rule_columns(
        rule.ids,
        ts="ts",
        ts_end="ts_end",
        value="CAST(readings AS DOUBLE)",
        expected="CAST(NULL AS DOUBLE)",
        deviation="CAST(NULL AS DOUBLE)",
        severity=severity,
        detail=(
            f"printf('%s %s for %d consecutive readings, %s to %s', {sql.entity(rule.ids)}, "
            f"{what}, readings, strftime(ts, '{_CLOCK}'), strftime(ts_end, '{_CLOCK}'))"
        ),
    )


def _failed_words(spec: FailedSensor) -> str:
    if spec.sentinel is None:
        return "'reported nothing (NULL)'"
    words = f"reported {spec.sentinel:g}"
    return f"'{words} or nothing (NULL)'" if spec.null_is_failure else f"'{words}'"
