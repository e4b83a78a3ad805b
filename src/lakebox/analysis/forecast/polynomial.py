"""The least-squares polynomial trend: a baseline fitted to each series' time index, with
prediction intervals from its residuals (ordinary least squares, Student t quantiles)."""

from __future__ import annotations

import numpy as np
from scipy import stats

DEGREES = (1, 2, 3)


def design(steps: np.ndarray, degree: int, length: int) -> np.ndarray:
    """Return the Vandermonde matrix of `steps` scaled by the training `length` (stable fits)."""
    return np.vander(steps / max(length, 1), degree + 1, increasing=True)


def fit_forecast(
    values: np.ndarray, degree: int, horizon: int, levels: list[int]
) -> dict[str, np.ndarray]:
    """Return the degree-`degree` trend of `values` carried `horizon` steps on, with the
    `lo-L`/`hi-L` bounds of each level L (a degree too high for the data is lowered)."""
    length = len(values)
    degree = min(degree, max(length - 2, 0))
    fitted_x = design(np.arange(length), degree, length)
    future_x = design(np.arange(length, length + horizon), degree, length)
    coefficients, *_ = np.linalg.lstsq(fitted_x, values, rcond=None)
    result = {"mean": future_x @ coefficients}
    if levels:
        result |= _intervals(values, fitted_x, future_x, coefficients, result["mean"], levels)
    return result


def _intervals(
    values: np.ndarray,
    fitted_x: np.ndarray,
    future_x: np.ndarray,
    coefficients: np.ndarray,
    mean: np.ndarray,
    levels: list[int],
) -> dict[str, np.ndarray]:
    freedom = max(len(values) - fitted_x.shape[1], 1)
    sigma = np.sqrt(np.sum((values - fitted_x @ coefficients) ** 2) / freedom)
    leverage = np.einsum("ij,jk,ik->i", future_x, np.linalg.pinv(fitted_x.T @ fitted_x), future_x)
    spread = sigma * np.sqrt(1 + leverage)
    bounds: dict[str, np.ndarray] = {}
    for level in levels:
        quantile = stats.t.ppf(0.5 + level / 200, freedom)
        bounds[f"lo-{level}"] = mean - quantile * spread
        bounds[f"hi-{level}"] = mean + quantile * spread
    return bounds
