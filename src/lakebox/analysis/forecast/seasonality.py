"""Classical seasonal decomposition, so fast non-seasonal models can forecast seasonal series.

As in the Theta method of the M3 competition: a series is taken as seasonal when its
autocorrelation at the season's lag is significant at 90%; its seasonal indices are the mean
ratio (or, with values at or below 0, difference) to a centred moving average at each
position of the season. Dividing by them gives the seasonally adjusted series; multiplying a
forecast of that by them puts the season back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIGNIFICANCE = 1.645  # two-sided 90%


@dataclass(frozen=True)
class Season:
    """A series' seasonal indices (one per position in the season; none when not seasonal)."""

    indices: np.ndarray
    multiplicative: bool

    def adjust(self, values: np.ndarray) -> np.ndarray:
        """Return `values` (starting at position 0 of the season) with the season taken out."""
        pattern = self._pattern(0, len(values))
        return values / pattern if self.multiplicative else values - pattern

    def restore(self, forecast: np.ndarray, start: int) -> np.ndarray:
        """Return `forecast` (of steps `start`, `start + 1`, …) with the season put back."""
        pattern = self._pattern(start, forecast.shape[-1])
        return forecast * pattern if self.multiplicative else forecast + pattern

    def _pattern(self, start: int, length: int) -> np.ndarray:
        if len(self.indices) == 0:
            return np.ones(length) if self.multiplicative else np.zeros(length)
        return self.indices[(start + np.arange(length)) % len(self.indices)]


def seasonal(values: np.ndarray, season: int) -> bool:
    """Return whether `values` have a significant autocorrelation at lag `season`."""
    if season < 2 or len(values) < 2 * season:
        return False
    centred = values - values.mean()
    variance = float(centred @ centred)
    if variance == 0:
        return False
    acf = np.array([centred[lag:] @ centred[:-lag] for lag in range(1, season + 1)]) / variance
    limit = SIGNIFICANCE * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / len(values))
    return bool(abs(acf[-1]) > limit)


def decompose(values: np.ndarray, season: int) -> Season:
    """Return the seasonal indices of `values` (none when the season is not significant)."""
    multiplicative = bool(np.all(values > 0))
    if not seasonal(values, season):
        return Season(np.empty(0), multiplicative)
    trend = _centred_average(values, season)
    known = ~np.isnan(trend)
    ratios = values / trend if multiplicative else values - trend
    positions = np.arange(len(values)) % season
    indices = np.array([ratios[known & (positions == p)].mean() for p in range(season)])
    if multiplicative:
        return Season(indices / indices.mean(), True)
    return Season(indices - indices.mean(), False)


def _centred_average(values: np.ndarray, season: int) -> np.ndarray:
    """Return the centred moving average over one season (2×m for an even m), NaN at the ends."""
    weights = np.ones(season + 1 - season % 2)
    if season % 2 == 0:
        weights[0] = weights[-1] = 0.5
    weights /= season
    averaged = np.convolve(values, weights, mode="valid")
    pad = (len(values) - len(averaged)) // 2
    return np.concatenate([np.full(pad, np.nan), averaged, np.full(pad, np.nan)])
