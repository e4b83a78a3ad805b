"""Forecasting: candidates backtested per series, the best (or an ensemble) chosen, and the
forecasts with intervals written to `analytics.forecast_<name>` (see docs/forecasting.md).

`lakebox.config` imports the spec from here, so this module imports nothing eagerly.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ForecastConfig": "lakebox.analysis.forecast.spec",
    "ForecastReport": "lakebox.analysis.forecast.run",
    "forecast": "lakebox.analysis.forecast.run",
    "forecast_declared": "lakebox.analysis.forecast.run",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_EXPORTS[name]), name)
