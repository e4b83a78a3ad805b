"""Planted series with known answers (tests.analysis.conftest writes them into a lakehouse)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from lakebox.analysis.forecast.series import Series
from lakebox.config.forecasts import ForecastConfig

START = date(2020, 1, 1)


# A monthly forecast of `exploitation.sales` per store, six months ahead.
SALES = {
    "table": "exploitation.sales",
    "ids": ["store"],
    "time": "month",
    "value": "amount",
    "freq": "MS",
    "horizon": 6,
}


def config(**settings: object) -> ForecastConfig:
    """Return a monthly forecast config of table `exploitation.sales` with `settings` over it."""
    return ForecastConfig.model_validate({"name": "sales", **SALES} | settings)


def series(values: np.ndarray, key: str = "a") -> Series:
    """Return a monthly series starting in January 2020."""
    return Series((key,), pd.Timestamp(START), np.asarray(values, dtype=float))


def seasonal_values(length: int, seed: int = 1, noise: float = 2.0) -> np.ndarray:
    """Return a strongly seasonal monthly series (a yearly wave of ±40 around 100)."""
    steps = np.arange(length)
    rng = np.random.default_rng(seed)
    return 100 + 40 * np.sin(2 * np.pi * steps / 12) + rng.normal(0, noise, length)


def monthly_rows(values: dict[str, np.ndarray]) -> list[dict[str, object]]:
    """Return rows `store`, `month`, `amount` of monthly series keyed by store."""
    return [
        {
            "store": store,
            "month": (pd.Timestamp(START) + pd.DateOffset(months=i)).date(),
            "amount": float(value),
        }
        for store, series_values in values.items()
        for i, value in enumerate(series_values)
    ]
