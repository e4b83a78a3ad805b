"""The LightGBM global model: one gradient-boosted model over every series' lags (each series
standardised first), through mlforecast. Only with the `ml` extra installed."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)
FEW_LAGS = (1, 2, 3)


def lightgbm_forecasts(
    training: list[np.ndarray], seasons: tuple[int, ...], horizon: int, levels: list[int]
) -> dict[str, np.ndarray]:
    """Return the global model's forecasts of every array in `training` (recursive, with
    conformal intervals from two windows when `levels` are asked for and the data allows)."""
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.target_transforms import LocalStandardScaler
    from mlforecast.utils import PredictionIntervals

    shortest = min(len(values) for values in training)
    lags = [lag for lag in (*FEW_LAGS, *seasons) if lag < shortest - 2] or [1]
    model = MLForecast(
        models={"lightgbm": LGBMRegressor(n_estimators=100, verbosity=-1, n_jobs=os.cpu_count())},
        freq=1,
        lags=lags,
        target_transforms=[LocalStandardScaler()],
    )
    frame = _long_frame(training)
    intervals = levels and shortest > 2 * horizon + max(lags) + 2
    model.fit(frame, prediction_intervals=PredictionIntervals(2, horizon) if intervals else None)
    result = model.predict(horizon, level=levels if intervals else None)
    result = result.sort_values(["unique_id", "ds"])
    found = {"mean": result["lightgbm"].to_numpy(float).reshape(len(training), horizon)}
    for level in levels if intervals else []:
        for side in ("lo", "hi"):
            column = result[f"lightgbm-{side}-{level}"].to_numpy(float)
            found[f"{side}-{level}"] = column.reshape(len(training), horizon)
    return found


def _long_frame(training: list[np.ndarray]) -> pd.DataFrame:
    lengths = [len(values) for values in training]
    return pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(len(training)), lengths),
            "ds": np.concatenate([np.arange(length) for length in lengths]),
            "y": np.concatenate(training).astype(float),
        }
    )
