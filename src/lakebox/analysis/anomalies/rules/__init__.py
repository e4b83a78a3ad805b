"""The anomaly rules: each compiles a declared rule to one DuckDB SELECT over its table.

A rule is a function `AnomalyRuleConfig -> SQL` whose result has the columns of
`sql.RULE_COLUMNS`; adding one is a module here, an entry in RULES and a model in
`lakebox/config/anomalies.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from lakebox.analysis.anomalies.rules import failed_sensor, outside_forecast, weekday_deviation
from lakebox.config.anomalies import AnomalyRuleConfig

Rule = Callable[[AnomalyRuleConfig], str]

RULES: dict[str, Rule] = {
    "weekday_deviation": weekday_deviation.compile_rule,
    "failed_sensor": failed_sensor.compile_rule,
    "outside_forecast": outside_forecast.compile_rule,
}


def compile_rule(rule: AnomalyRuleConfig) -> str:
    """Return the SELECT of `rule`'s anomalies (columns of `sql.RULE_COLUMNS`)."""
    return RULES[rule.kind](rule)
