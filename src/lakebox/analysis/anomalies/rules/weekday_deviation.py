"""`weekday_deviation`: a value against the mean of the last N values of the same weekday.

At day grain a Friday is compared with the previous N Fridays; at hour grain Friday 14:00 with
the previous N Fridays at 14:00. The table is first brought to the grain (its time column
truncated to the day or hour, the value aggregated per id and period), so a table already at
that grain is read as it is. deviation = (value - mean) / mean; a value with fewer than
`min_history` earlier values, or a mean at or below `min_expected`, is not judged at all.
"""

from __future__ import annotations

from lakebox.analysis.anomalies import sql
from lakebox.config.anomalies import AnomalyRuleConfig, WeekdayDeviation
from lakebox.ground.sql import quote_identifier

_BASELINES = {"mean": "avg", "median": "median"}
_MEASURES = {"both": "abs(deviation)", "up": "deviation", "down": "-deviation"}


def compile_rule(rule: AnomalyRuleConfig) -> str:
    """Return the SELECT giving one row per value past a threshold, in RULE_COLUMNS."""
    spec = rule.weekday_deviation
    assert spec is not None
    return f"""
WITH series AS ({_series(rule, spec)}),
judged AS ({_judged(rule, spec)})
SELECT
    {_columns(rule, spec)}
FROM judged
WHERE history >= {spec.history} AND expected > {spec.min_expected!r}
    AND {_severity(spec)} IS NOT NULL
"""


def _series(rule: AnomalyRuleConfig, spec: WeekdayDeviation) -> str:
    ids = sql.id_list(rule.ids, trailing=True)
    stamp = f"CAST({quote_identifier(rule.time)} AS TIMESTAMP)"
    value = f"CAST({quote_identifier(rule.value)} AS DOUBLE)"
    return (
        f"SELECT {ids}date_trunc('{spec.grain}', {stamp}) AS ts, {spec.aggregate}({value}) AS "
        f"value FROM {sql.source_rows(rule)} GROUP BY ALL"
    )


def _judged(rule: AnomalyRuleConfig, spec: WeekdayDeviation) -> str:
    """Each value with the baseline of its earlier same-slot values and how many there were."""
    slot = "isodow(ts), hour(ts)" if spec.grain == "hour" else "isodow(ts)"
    window = (
        f"{sql.partition_by(sql.id_list(rule.ids), slot)} ORDER BY ts "
        f"ROWS BETWEEN {spec.weeks} PRECEDING AND 1 PRECEDING"
    )
    baseline = _BASELINES[spec.baseline]
    return (
        f"SELECT *, (value - expected) / expected AS deviation FROM (SELECT *, "
        f"{baseline}(value) OVER previous AS expected, count(value) OVER previous AS history "
        f"FROM series WHERE value IS NOT NULL WINDOW previous AS ({window}))"
    )


def _severity(spec: WeekdayDeviation) -> str:
    def fraction(pct: float | None) -> float | None:
        return None if pct is None else pct / 100

    return sql.levels(
        _MEASURES[spec.direction],
        fraction(spec.info_pct),
        spec.warn_pct / 100,
        fraction(spec.critical_pct),
    )


def _columns(rule: AnomalyRuleConfig, spec: WeekdayDeviation) -> str:
    return sql.select_rule_columns(
        rule.ids,
        ts="ts",
        ts_end="ts",
        value="value",
        expected="expected",
        deviation="deviation",
        severity=_severity(spec),
        detail=_detail(spec),
    )


def _detail(spec: WeekdayDeviation) -> str:
    """A sentence like `Fri 2025-06-13: 10893 against a mean of 4218 over the last 4 Fridays
    (+158%)`."""
    when = "strftime(ts, '%a %Y-%m-%d %H:00')" if spec.grain == "hour" else sql.moment("ts")
    slot = "strftime(ts, '%A') || 's'"
    if spec.grain == "hour":
        slot += " || strftime(ts, ' at %H:00')"
    return (
        f"printf('%s: %s against a {spec.baseline} of %s over the last %d %s (%+.0f%%)', "
        f"{when}, {sql.number('value')}, {sql.number('expected')}, history, {slot}, "
        "100 * deviation)"
    )
