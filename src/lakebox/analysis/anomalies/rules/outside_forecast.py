"""`outside_forecast`: actuals outside a forecast's intervals.

The forecast table (`analytics.forecast_<name>`: the id columns, `ds`, `forecast`, `lo_80`,
`hi_80`, `lo_95`, `hi_95`, `model`, `created_at`) is joined to the actuals by the id columns
(named alike in both tables) and time (both cast to TIMESTAMP). When a series and time were
forecast more than once, the newest forecast (latest `created_at`) is the one judged against.
Outside the `warn_interval` (80%) is a warning; outside the `critical_interval` (95%) critical.
"""

from __future__ import annotations

from lakebox.analysis.anomalies import sql
from lakebox.config.anomalies import AnomalyRuleConfig, OutsideForecast
from lakebox.ground.sql import quote_identifier, quote_literal


def compile_rule(rule: AnomalyRuleConfig) -> str:
    """Return the SELECT giving one row per actual outside an interval, in RULE_COLUMNS."""
    spec = rule.outside_forecast
    assert spec is not None
    using = ", ".join([*(quote_identifier(column) for column in rule.ids), "ts"])
    return f"""
WITH actuals AS ({_actuals(rule)}),
forecasts AS ({_forecasts(rule, spec)}),
judged AS (
    SELECT *, {_severity(spec)} AS severity FROM actuals JOIN forecasts USING ({using})
)
SELECT
    {_columns(rule, spec)}
FROM judged
WHERE severity IS NOT NULL
"""


def _actuals(rule: AnomalyRuleConfig) -> str:
    return (
        f"SELECT {sql.id_list(rule.ids, trailing=True)}"
        f"CAST({quote_identifier(rule.time)} AS TIMESTAMP) AS ts, "
        f"CAST({quote_identifier(rule.value)} AS DOUBLE) AS value FROM {sql.source_rows(rule)} "
        f"WHERE {quote_identifier(rule.value)} IS NOT NULL"
    )


def _forecasts(rule: AnomalyRuleConfig, spec: OutsideForecast) -> str:
    """The newest forecast of each series and time, with the intervals the rule reads."""
    ids = sql.id_list(rule.ids, trailing=True)
    intervals = ", ".join(f"{side}_{level}" for level in _levels(spec) for side in ("lo", "hi"))
    model = f" WHERE model = {quote_literal(spec.model)}" if spec.model else ""
    stamp = f"CAST({quote_identifier(spec.forecast_time)} AS TIMESTAMP)"
    return (
        f"SELECT {ids}{stamp} AS ts, forecast, {intervals}, model "
        f"FROM {sql.relation(spec.forecast)}{model} "
        f"QUALIFY row_number() OVER ({sql.partition_by(sql.id_list(rule.ids), stamp)} "
        "ORDER BY created_at DESC) = 1"
    )


def _levels(spec: OutsideForecast) -> list[int]:
    """Return the interval levels read, the widest first."""
    if spec.critical_interval is None:
        return [spec.warn_interval]
    return [spec.critical_interval, spec.warn_interval]


def _outside(level: int) -> str:
    return f"(value < lo_{level} OR value > hi_{level})"


def _severity(spec: OutsideForecast) -> str:
    names = ["critical", "warn"] if spec.critical_interval is not None else ["warn"]
    whens = " ".join(
        f"WHEN {_outside(level)} THEN '{name}'"
        for level, name in zip(_levels(spec), names, strict=True)
    )
    return f"CASE {whens} END"


def _columns(rule: AnomalyRuleConfig, spec: OutsideForecast) -> str:
    return sql.select_rule_columns(
        rule.ids,
        ts="ts",
        ts_end="ts",
        value="value",
        expected="forecast",
        deviation="(value - forecast) / nullif(forecast, 0)",
        severity="severity",
        detail=_detail(spec),
    )


def _detail(spec: OutsideForecast) -> str:
    """A sentence like `Mon 2025-06-02: 140 above the 95% interval [80, 120] of the forecast
    100 (AutoETS)`."""
    breached = _levels(spec)
    level = f"CASE WHEN {_outside(breached[0])} THEN {breached[0]} ELSE {breached[-1]} END"

    def bound(side: str) -> str:
        choice = f"CASE WHEN {_outside(breached[0])} THEN {side}_{breached[0]} "
        return sql.number(f"({choice}ELSE {side}_{breached[-1]} END)")

    return (
        f"printf('%s: %s %s the %d%% interval [%s, %s] of the forecast %s (%s)', "
        f"{sql.moment('ts')}, {sql.number('value')}, CASE WHEN value > forecast THEN 'above' "
        f"ELSE 'below' END, {level}, {bound('lo')}, {bound('hi')}, {sql.number('forecast')}, "
        "coalesce(model, 'model unknown'))"
    )
