"""Anomaly detection: declared rules compiled to DuckDB SQL, results in `analytics.anomalies`.

`detect(lh)` runs the rules declared under `anomalies:` in lakebox.yaml (docs/anomalies.md).
The names below load on first use: `lakebox.config` imports `spec` from here before the
lakehouse (which the runner needs) can be imported.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
