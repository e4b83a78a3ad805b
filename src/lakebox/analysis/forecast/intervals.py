"""Intervals calibrated on the backtest, so they hold the truth about as often as they say.

The models' own intervals assume the model is right and tend to be too narrow on short
series. The backtest tells how far the chosen forecasts really missed: each miss is divided by
its series' scale (the in-sample error of the seasonal naive forecast, as in MASE), pooled
over series and windows per step ahead, and the level's quantile of those scaled misses, times
a series' scale, is its half-width. With fewer than MIN_POOLED misses in all (a short backtest
of few series), the models' own intervals are kept.
"""

from __future__ import annotations

import numpy as np

MIN_POOLED = 30  # fewer misses per step than this: pool every step, scaled by sqrt(step)


def scaled_widths(
    actual: np.ndarray, forecast: np.ndarray, scales: np.ndarray, levels: list[int]
) -> dict[int, np.ndarray]:
    """Return, per level, the half-width per step ahead in units of a series' scale, from
    backtest arrays shaped (series, windows, horizon) and scales shaped (series, windows)."""
    misses = np.abs(actual - forecast) / scales[..., None]
    horizon = misses.shape[-1]
    steps = np.sqrt(np.arange(1, horizon + 1))
    per_step = misses.reshape(-1, horizon)
    counts = np.isfinite(per_step).sum(axis=0)
    widths: dict[int, np.ndarray] = {}
    if counts.sum() < MIN_POOLED:
        return widths
    for level in levels:
        if counts.min() >= MIN_POOLED:
            widths[level] = np.array([_quantile(per_step[:, k], level) for k in range(horizon)])
        else:
            pooled = (per_step / steps).ravel()
            widths[level] = _quantile(pooled, level) * steps
    return widths


def widen(
    found: dict[str, np.ndarray], widths: dict[int, np.ndarray], scale: float
) -> dict[str, np.ndarray]:
    """Return `found` with each calibrated level's bounds `widths[level] * scale` either side
    of the mean (other levels keep the models' bounds)."""
    mean = found["mean"]
    result = dict(found)
    for level, width in widths.items():
        if np.all(np.isfinite(width)):
            result[f"lo-{level}"] = mean - width * scale
            result[f"hi-{level}"] = mean + width * scale
    return result


def _quantile(values: np.ndarray, level: int) -> float:
    """Return the conformal quantile: the ceil((n + 1) L)-th smallest of n finite values."""
    finite = np.sort(values[np.isfinite(values)])
    if len(finite) == 0:
        return float("nan")
    rank = int(np.ceil((len(finite) + 1) * level / 100)) - 1
    return float(finite[min(rank, len(finite) - 1)])


def nested(found: dict[str, np.ndarray], levels: list[int]) -> dict[str, np.ndarray]:
    """Return `found` with every interval holding the mean and the narrower levels' intervals
    (some models' simulated bounds are not centred on their mean)."""
    result = dict(found)
    low = high = found["mean"]
    for level in sorted(levels):
        if f"lo-{level}" in found:
            low = result[f"lo-{level}"] = np.fmin(found[f"lo-{level}"], low)
            high = result[f"hi-{level}"] = np.fmax(found[f"hi-{level}"], high)
    return result


def clipped(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return `found` (the mean and every bound) clipped at 0, for a quantity that cannot be
    negative: a bound below 0 becomes 0, so an interval still holds the truth as often (a
    missing bound stays NaN)."""
    return {key: np.maximum(values, 0.0) for key, values in found.items()}
