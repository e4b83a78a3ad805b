"""The in-memory forecast on planted series with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from lakebox.analysis.forecast.core import forecast_series
from tests.analysis.forecast.conftest import config, seasonal_values, series


def scores_of(outcome, position=0):
    return {score.model: score for score in outcome.forecasts[position].scores}


def test_a_straight_line_is_forecast_exactly():
    line = 50 + 3.0 * np.arange(40)

    outcome = forecast_series([series(line)], config())

    result = outcome.forecasts[0]
    np.testing.assert_allclose(result.values["mean"], 50 + 3.0 * np.arange(40, 46), rtol=1e-6)
    assert scores_of(outcome)["polynomial(1)"].smape < 1e-6
    # AutoETS backtests as perfectly: the backtest cannot tell them apart, the fallback forecasts
    assert scores_of(outcome)["auto_ets"].smape < 1e-6
    assert result.model == "auto_ets" and outcome.strategy == "fallback"


def test_a_straight_line_alone_is_forecast_by_the_polynomial_with_closed_intervals():
    line = 50 + 3.0 * np.arange(40)

    outcome = forecast_series([series(line)], config(models=["polynomial", "theta"]))

    result = outcome.forecasts[0]
    assert result.model == "polynomial(1)"
    np.testing.assert_allclose(result.values["mean"], 50 + 3.0 * np.arange(40, 46), rtol=1e-6)
    assert scores_of(outcome)["polynomial(1)"].chosen
    # a perfect fit leaves no residuals: the interval closes on the line
    np.testing.assert_allclose(result.values["lo-95"], result.values["mean"], atol=1e-6)


def test_a_seasonal_series_is_not_left_to_the_trend_baseline():
    values = seasonal_values(60)

    outcome = forecast_series([series(values[:54])], config())

    scores = scores_of(outcome)
    best_polynomial = min(s.mase for name, s in scores.items() if name.startswith("polynomial"))
    assert min(scores["theta"].mase, scores["seasonal_naive"].mase) < best_polynomial / 2
    assert "polynomial" not in outcome.forecasts[0].model
    error = np.abs(outcome.forecasts[0].values["mean"] - values[54:]).mean()
    assert error < 10  # the wave is ±40: the season was forecast, not flattened


def test_intervals_hold_the_truth_at_about_their_level():
    rng = np.random.default_rng(7)
    planted = [
        100 + np.cumsum(rng.normal(0, 3, 48)) + 20 * np.sin(2 * np.pi * np.arange(48) / 12)
        for _ in range(30)
    ]
    training = [series(values[:42], key=str(i)) for i, values in enumerate(planted)]

    outcome = forecast_series(training, config())

    truth = np.stack([values[42:] for values in planted])
    found = {
        key: np.stack([f.values[key] for f in outcome.forecasts])
        for key in ("lo-80", "hi-80", "lo-95", "hi-95")
    }
    inside_80 = np.mean((truth >= found["lo-80"]) & (truth <= found["hi-80"]))
    inside_95 = np.mean((truth >= found["lo-95"]) & (truth <= found["hi-95"]))
    assert 0.6 <= inside_80 <= 0.97
    assert 0.8 <= inside_95 <= 1.0
    assert inside_95 >= inside_80


def test_every_candidate_is_scored_and_one_row_is_chosen_per_series():
    values = [seasonal_values(48, seed=3), 10 + np.arange(48.0)]

    outcome = forecast_series([series(v, str(i)) for i, v in enumerate(values)], config())

    for result in outcome.forecasts:
        names = {score.model for score in result.scores}
        assert {"theta", "dynamic_theta", "ces", "seasonal_naive", "polynomial(1)"} <= names
        assert [s.model for s in result.scores if s.chosen] == [result.model]
        assert result.plan.windows == 2
    assert outcome.strategy in outcome.strategy_scores


def test_a_series_too_short_for_its_season_is_fitted_without_it():
    short = seasonal_values(28)  # not even one window of 6 leaves two seasons of 12

    outcome = forecast_series([series(short)], config())

    result = outcome.forecasts[0]
    assert result.plan.seasons == ()
    assert "season 12 left out: the shortest backtest training has 16 steps, it needs 24" in (
        result.plan.notes
    )
    assert len(result.values["mean"]) == 6


def test_a_series_keeps_its_season_on_fewer_windows_and_then_falls_back_to_auto_ets():
    outcome = forecast_series([series(seasonal_values(30))], config())

    result = outcome.forecasts[0]
    assert result.plan.seasons == (12,) and result.plan.windows == 1
    assert "1 backtest windows (too short for 2)" in result.plan.notes
    # one window leaves none to check a choice on: the backtest cannot tell, AutoETS forecasts
    assert result.model == "auto_ets"


def test_a_series_with_few_windows_is_backtested_on_those_it_has():
    outcome = forecast_series([series(seasonal_values(14))], config(backtest_windows=3))

    assert outcome.forecasts[0].plan.windows == 1
    assert "1 backtest windows (too short for 3)" in outcome.forecasts[0].plan.notes


def test_the_lightgbm_global_model_is_a_candidate_when_installed():
    pytest.importorskip("mlforecast")
    pytest.importorskip("lightgbm")
    planted = [series(seasonal_values(48, seed), str(seed)) for seed in range(4)]

    outcome = forecast_series(planted, config(models=["lightgbm", "theta"]))

    for result in outcome.forecasts:
        assert "lightgbm" in {score.model for score in result.scores}
        assert np.isfinite(result.values["mean"]).all() and "lo-80" in result.values


def test_a_falling_quantity_that_cannot_be_negative_is_forecast_at_zero_or_more():
    rng = np.random.default_rng(3)
    falling = np.clip(60 - 2.5 * np.arange(24) + rng.normal(0, 4, 24), 0, None)

    outcome = forecast_series([series(falling)], config(horizon=12))

    values = outcome.forecasts[0].values
    assert min(float(np.nanmin(found)) for found in values.values()) >= 0
    assert np.all(values["lo-95"] <= values["mean"]) and np.all(values["mean"] <= values["hi-95"])
    kept = forecast_series([series(falling)], config(horizon=12, non_negative=False))
    assert float(np.nanmin(kept.forecasts[0].values["lo-95"])) < 0  # what clipping prevents


def test_a_series_with_negative_history_keeps_its_negative_bounds():
    falling = 10 - 2.0 * np.arange(24)  # already below zero: a balance, not a quantity

    outcome = forecast_series([series(falling)], config(horizon=6))

    assert float(outcome.forecasts[0].values["mean"][-1]) < 0
