"""AutoETS searches its form once per series in the backtest, on the oldest window, and the
newer windows fit that form only; the final forecast searches again on the newest data."""

from __future__ import annotations

import numpy as np
from statsforecast import models as sf

from lakebox.analysis.forecast import backtest, core, models
from tests.analysis.forecast.conftest import config, seasonal_values, series

ETS = models.candidates(["auto_ets"], (12,))


def _turning() -> np.ndarray:
    """Return 48 steps of a level seasonal series, then 12 of a steep rise: AutoETS's search
    picks another form on 48, 54 and 60 steps of it."""
    values = seasonal_values(60, seed=3)
    values[48:] += np.arange(12) * 15
    return values


def _searched(values: np.ndarray) -> str:
    return str(sf.AutoETS(season_length=12).fit(values).model_["components"])


def _fixed(values: np.ndarray, form: str, horizon: int) -> np.ndarray:
    model = sf.AutoETS(season_length=12, model=form[:3], damped=form[3] == "D")
    return model.forecast(y=values, h=horizon)["mean"]


def test_the_form_chosen_on_the_oldest_window_is_fitted_on_the_newer_one():
    values = _turning()

    found = backtest.run([values], [2], ETS, (12,), 6)

    form = found.forms[0]
    assert form == _searched(values[:48]) != _searched(values[:54])
    np.testing.assert_allclose(found.forecasts["auto_ets"][0, 0], _fixed(values[:54], form, 6))
    np.testing.assert_allclose(found.forecasts["auto_ets"][0, 1], _fixed(values[:48], form, 6))


def test_the_final_forecast_searches_the_form_on_the_newest_data():
    values = _turning()

    outcome = core.forecast_series([series(values)], config(models=["auto_ets"]))

    form = _searched(values)
    assert form != _searched(values[:48])
    np.testing.assert_allclose(outcome.forecasts[0].values["mean"], _fixed(values, form, 6))


def test_a_form_that_cannot_fit_the_values_is_searched_again():
    values = seasonal_values(48, seed=5)
    values[-3] = 0.0  # a multiplicative form cannot fit a zero

    found = models.predict(ETS, [values], (12,), 6, [], forms=["MNMN"])

    assert found["auto_ets"][models.FORM][0] == _searched(values)
    assert found["auto_ets"][models.FORM][0][0] == "A"
    assert np.isfinite(found["auto_ets"]["mean"]).all()
