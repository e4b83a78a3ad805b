"""Rolling-origin backtest: each candidate forecasts the last `windows` horizons of every series
from the data before each, and is scored by sMAPE and MASE against what really came.

Window 0 is the newest (its forecast starts `horizon` steps before the end), window 1 the one
before, and so on. Arrays are shaped (series, windows, horizon); a series with fewer windows
than the others, or a candidate that does not apply to it, has NaN there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from lakebox.analysis.forecast.models import FORM, Candidate, predict

logger = logging.getLogger(__name__)


@dataclass
class Backtest:
    """The candidates' forecasts of the backtest windows, what came, and the MASE scales."""

    forecasts: dict[str, np.ndarray]
    actuals: np.ndarray
    scales: np.ndarray
    # per series, the ETS form auto_ets chose on its oldest window and kept for the others
    forms: list[str | None] = field(default_factory=list)

    def smape(self, name: str) -> np.ndarray:
        """Return the sMAPE (%) of candidate `name` per series and window."""
        return smape(self.actuals, self.forecasts[name])

    def mase(self, name: str) -> np.ndarray:
        """Return the MASE of candidate `name` per series and window."""
        return mase(self.actuals, self.forecasts[name], self.scales)


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Return the symmetric MAPE in % averaged over the last axis (0 where both are 0)."""
    denominator = np.abs(actual) + np.abs(forecast)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denominator > 0, 2 * np.abs(actual - forecast) / denominator, 0.0)
    ratio = np.where(np.isnan(actual) | np.isnan(forecast), np.nan, ratio)
    return 100 * ratio.mean(axis=-1)


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Return the mean absolute error over the last axis divided by `scale`."""
    return np.abs(actual - forecast).mean(axis=-1) / scale


def naive_scale(training: np.ndarray, season: int) -> float:
    """Return the in-sample mean absolute error of the seasonal naive forecast (the naive one
    when the series is shorter than two seasons), never 0."""
    lag = season if len(training) > season else 1
    error = float(np.mean(np.abs(training[lag:] - training[:-lag]))) if len(training) > lag else 0
    return error or float(np.mean(np.abs(training))) or 1.0


def recent(values: np.ndarray, window: int | None) -> np.ndarray:
    """Return the last `window` steps of `values` (all of them when `window` is None): the
    models are fitted on a bounded recent stretch, so a series' cost does not grow with it."""
    return values if window is None or len(values) <= window else values[-window:]


def run(
    values: list[np.ndarray],
    windows: list[int],
    chosen: list[Candidate],
    seasons: tuple[int, ...],
    horizon: int,
    window: int | None = None,
) -> Backtest:
    """Return the backtest of `chosen` over series `values`, each with its number of windows,
    every model fitted on at most the last `window` steps before its window. The oldest
    window of every series is fitted first: the ETS form auto_ets chooses there is kept for
    the series' newer windows, which then fit that one form (the final forecast, made from
    the newest data, searches again: a form chosen on older data costs accuracy there)."""
    most = max(windows)
    oldest = [(i, count - 1) for i, count in enumerate(windows)]
    first = _fit_slots(values, oldest, chosen, seasons, horizon, window, [None] * len(values))
    forms = list(first.forms)
    newer = [(i, w) for i, count in enumerate(windows) for w in range(count - 1)]
    later = _fit_slots(
        values, newer, chosen, seasons, horizon, window, [forms[i] for i, _ in newer]
    )
    actuals = np.full((len(values), most, horizon), np.nan)
    scales = np.full((len(values), most), np.nan)
    forecasts = {name: actuals.copy() for name in first.means}
    for part in (first, later):
        for row, (i, w) in enumerate(part.slots):
            actuals[i, w] = part.actuals[row]
            scales[i, w] = part.scales[row]
            for name, found in part.means.items():
                forecasts[name][i, w] = found[row]
    logger.info("backtested %d candidates on %d series windows", len(chosen), sum(windows))
    return Backtest(forecasts, actuals, scales, forms)


@dataclass
class _Slots:
    """The candidates' forecasts of some (series, window) slots, in the slots' order."""

    slots: list[tuple[int, int]]
    means: dict[str, np.ndarray]
    actuals: list[np.ndarray]
    scales: list[float]
    forms: list[str | None]


def _fit_slots(
    values: list[np.ndarray],
    slots: list[tuple[int, int]],
    chosen: list[Candidate],
    seasons: tuple[int, ...],
    horizon: int,
    window: int | None,
    forms: list[str | None],
) -> _Slots:
    """Return the forecasts of `slots`, auto_ets fitted on the given form of each."""
    ends = [len(values[i]) - (w + 1) * horizon for i, w in slots]
    training = [recent(values[i][:end], window) for (i, _), end in zip(slots, ends, strict=True)]
    if not slots:
        return _Slots(slots, {c.name: np.empty((0, horizon)) for c in chosen}, [], [], [])
    predicted = predict(chosen, training, seasons, horizon, levels=[], forms=forms)
    season = seasons[0] if seasons else 1
    return _Slots(
        slots,
        {name: found["mean"] for name, found in predicted.items()},
        [values[i][end : end + horizon] for (i, _), end in zip(slots, ends, strict=True)],
        [naive_scale(one, season) for one in training],
        list(predicted["auto_ets"][FORM]) if "auto_ets" in predicted else [None] * len(slots),
    )
