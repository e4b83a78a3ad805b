"""Models fitted on a bounded recent window, and backtests that never see what they score."""

from __future__ import annotations

import numpy as np

from lakebox.analysis.forecast import backtest as backtesting
from lakebox.analysis.forecast.core import fit_window, forecast_series
from lakebox.analysis.forecast.models import candidates
from tests.analysis.forecast.conftest import config, seasonal_values, series

FAST = ["theta", "seasonal_naive"]


def test_the_fit_window_is_ten_seasons_and_never_under_120_steps():
    assert fit_window(config()) == 120  # monthly: 10 years
    assert fit_window(config(freq="h")) == 1680  # hourly: 10 weeks of 168 hours
    assert fit_window(config(freq="QS")) == 120
    assert fit_window(config(freq="YS")) == 120


def test_recent_keeps_only_the_last_steps():
    values = np.arange(500.0)

    assert np.array_equal(backtesting.recent(values, 120), values[-120:])
    assert np.array_equal(backtesting.recent(values[:50], 120), values[:50])
    assert backtesting.recent(values, None) is values


def test_a_long_history_is_forecast_from_its_recent_window_only():
    recent = seasonal_values(150, seed=3)
    old_regime = 5000 + 30 * np.arange(450)  # a distant past unlike the present
    long = np.concatenate([old_regime, recent])

    windowed = forecast_series([series(long)], config(models=FAST))
    alone = forecast_series([series(recent)], config(models=FAST))
    whole = forecast_series([series(long)], config(models=FAST), windowed=False)

    ours = windowed.forecasts[0]
    assert ours.model == alone.forecasts[0].model
    np.testing.assert_allclose(ours.values["mean"], alone.forecasts[0].values["mean"])
    # fitted on every step, the old regime pulls the forecast: the window is what bounds it
    assert not np.allclose(ours.values["mean"], whole.forecasts[0].values["mean"])


def test_each_backtest_window_is_forecast_from_before_it_only():
    values = seasonal_values(96, seed=5)
    chosen = candidates(FAST, (12,))
    before = backtesting.run([values], [2], chosen, (12,), 6, window=120)
    changed = values.copy()
    changed[-6:] += 500  # what window 0 scores against: a test horizon, as far as it knows

    after = backtesting.run([changed], [2], chosen, (12,), 6, window=120)

    for name in before.forecasts:
        np.testing.assert_array_equal(before.forecasts[name], after.forecasts[name])
    assert not np.array_equal(before.actuals, after.actuals)
