"""Forecasting: candidates backtested per series, the best (or an ensemble) chosen, and the
forecasts with intervals written to `analytics.forecast_<name>` (see docs/forecasting.md).

The names below load on first use (the models need pandas and statsforecast). A forecast's
declaration is `lakebox.config.ForecastConfig`.
"""

from __future__ import annotations

from lakebox.analysis import lazy_exports

_EXPORTS = {
    "ForecastReport": "run",
    "forecast": "run",
    "forecast_declared": "run",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
