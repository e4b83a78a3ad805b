"""Anomaly detection: declared rules compiled to DuckDB SQL, results in `analytics.anomalies`.

`detect(lh)` runs the rules declared under `anomalies:` in lakebox.yaml (docs/anomalies.md).
The names below load on first use: `lakebox.config` imports `spec` from here before the
lakehouse (which the runner needs) can be imported.
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
    "AnomalyRuleConfig": "spec",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
