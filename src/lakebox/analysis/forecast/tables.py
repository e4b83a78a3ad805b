"""The names a forecast is stored under: its two analytics tables and the properties its
commits record. Both the writer and the readers use them, and this module imports nothing
heavy, so reading a forecast never loads the forecasting models."""

from __future__ import annotations

from lakebox.catalog import TableRef

FORECAST_PROPERTY = "lakebox.forecast"  # the forecast a table holds (never its metrics table)
STRATEGY_PROPERTY = "lakebox.forecast-strategy"  # how the run chose its models
# The columns of a forecast table besides its ids and interval bounds (lo_L, hi_L).
FIXED_COLUMNS = ("ds", "forecast", "model", "created_at")


def table_refs(name: str) -> tuple[TableRef, TableRef]:
    """Return the forecast table and the metrics table of forecast `name`."""
    return TableRef("analytics", f"forecast_{name}"), TableRef(
        "analytics", f"forecast_{name}_metrics"
    )
