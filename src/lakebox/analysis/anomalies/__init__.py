"""Anomaly detection: declared rules compiled to DuckDB SQL, results in `analytics.anomalies`.

`detect(lh)` runs the rules declared under `anomalies:` in lakebox.yaml (docs/anomalies.md).
The names below load on first use: the runner needs the lakehouse and its engine. A rule's
declaration is `lakebox.config.AnomalyRuleConfig`.
"""

from __future__ import annotations

from lakebox.analysis import lazy_exports

_EXPORTS = {
    "ANOMALIES": "store",
    "stored": "store",
    "AnomalyReport": "runner",
    "RuleOutcome": "runner",
    "declared": "runner",
    "detect": "runner",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
