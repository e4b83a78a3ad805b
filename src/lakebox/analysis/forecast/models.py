"""The candidate models: statsforecast's, the polynomial trend baseline and, when the `ml`
extra is installed, a LightGBM global model through mlforecast.

Every candidate forecasts a batch of training arrays (one per series, all with the same
seasons) and gives back arrays of shape (series, horizon): `mean` and `lo-L`/`hi-L` per level.
The series are fitted in a pool of processes, one per core, each taking chunks of series and
fitting every candidate to each (statsforecast's own pool costs more than its fits on short
series).
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import multiprocessing.context
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from statsforecast import models as sf  # imported before the pool forks: workers share it

from lakebox.analysis.forecast import polynomial, seasonality

logger = logging.getLogger(__name__)
Forecasts = dict[str, np.ndarray]
# The candidates `auto` stands for: fast and diverse enough that a backtest over them and a
# combination of the best few beats any one of them (docs/forecasting.md has the measurements).
AUTO = ("polynomial", "seasonal_naive", "theta", "dynamic_theta", "auto_theta", "ces", "auto_ets")
ADJUSTED = ("ets_adjusted",)  # fitted to the seasonally adjusted series, the season put back
# Their intervals cost ten times their fit: in an ensemble, its other members' bounds are used.
COSTLY_INTERVALS = ("ces", "auto_ces", "auto_arima")
# In a fitted `auto_ets`: the form it chose (error, trend, season, damped: e.g. "MAMD"), which
# a series' newer backtest windows reuse instead of searching every form again (a fifth of
# the cost).
FORM = "form"
SERIES_PER_PROCESS = 25  # fewer series than this per core are not worth a process pool
CHUNKS_PER_PROCESS = 4


def _main_season(seasons: tuple[int, ...]) -> int:
    return seasons[0] if seasons else 1


def _ets_season(seasons: tuple[int, ...]) -> int:
    """Return the season AutoETS takes: seasons over 24 are left to MSTL."""
    season = _main_season(seasons)
    return season if season <= 24 else 1


def _stats_models() -> dict[str, Callable[[tuple[int, ...]], Any]]:
    return {
        "auto_ets": lambda s: sf.AutoETS(season_length=_ets_season(s)),
        "auto_theta": lambda s: sf.AutoTheta(season_length=_main_season(s)),
        "theta": lambda s: sf.Theta(season_length=_main_season(s)),
        "dynamic_theta": lambda s: sf.DynamicOptimizedTheta(season_length=_main_season(s)),
        "auto_arima": lambda s: sf.AutoARIMA(season_length=_main_season(s)),
        "auto_ces": lambda s: sf.AutoCES(season_length=_main_season(s)),
        "ces": lambda s: sf.AutoCES(season_length=_main_season(s), model="P" if s else "N"),
        "seasonal_naive": lambda s: sf.SeasonalNaive(season_length=s[0]) if s else sf.Naive(),
        "ets_adjusted": lambda s: sf.AutoETS(model="ZZN"),
        "mstl": lambda s: sf.MSTL(season_length=list(s), trend_forecaster=sf.AutoETS(model="ZZN")),
    }


@dataclass(frozen=True)
class Candidate:
    """A model a forecast may choose: its name in the tables and what it needs."""

    name: str
    family: str
    degree: int | None = None

    @property
    def baseline(self) -> bool:
        """Return whether the candidate is a baseline: it may win a series alone, but never
        joins an ensemble (on M3 validation data, letting it join cost 0.8 sMAPE points)."""
        return self.family == "polynomial"

    @property
    def costly_intervals(self) -> bool:
        """Return whether the candidate's intervals cost much more than its point forecast."""
        return self.family in COSTLY_INTERVALS

    @property
    def seasonal_only(self) -> bool:
        """Return whether the candidate makes no sense without a season (then it is left out)."""
        return self.family == "mstl"


def candidates(models: list[str], seasons: tuple[int, ...]) -> list[Candidate]:
    """Return the candidates of the requested model names (`auto` expanded) for a group of
    series with `seasons`; the polynomial is one candidate per degree."""
    names = [name for model in models for name in (AUTO if model == "auto" else (model,))]
    if "auto" in models and len(seasons) > 1:
        names.append("mstl")
    if "lightgbm" in names and not lightgbm_available():
        logger.warning("lightgbm is not installed (pip install 'lakebox[ml]'); left out")
    found: list[Candidate] = []
    for name in dict.fromkeys(names):
        if name == "polynomial":
            found += [Candidate(f"polynomial({d})", name, d) for d in polynomial.DEGREES]
        elif name != "lightgbm" or lightgbm_available():
            found.append(Candidate(name, name))
    return [c for c in found if seasons or not c.seasonal_only]


def lightgbm_available() -> bool:
    """Return whether the `ml` extra (mlforecast and LightGBM) can be imported."""
    return all(importlib.util.find_spec(name) for name in ("mlforecast", "lightgbm"))


def predict(
    chosen: list[Candidate],
    training: list[np.ndarray],
    seasons: tuple[int, ...],
    horizon: int,
    levels: list[int],
    points_only: frozenset[str] = frozenset(),
    forms: list[str | None] | None = None,
) -> dict[str, Forecasts]:
    """Return each candidate's forecasts of every array in `training` (without intervals for
    the candidates named in `points_only`). `forms` gives, per array, the ETS form `auto_ets`
    fits there (None: it searches them); `auto_ets`'s `FORM` says which form each fit took."""
    local = [c for c in chosen if c.family != "lightgbm"]
    found: dict[str, Forecasts] = {}
    if local:
        fixed = forms or [None] * len(training)
        fitted = _fit_all(
            local, list(zip(training, fixed, strict=True)), seasons, horizon, levels, points_only
        )
        for candidate in local:
            found[candidate.name] = _stacked([one[candidate.name] for one in fitted])
    if any(c.family == "lightgbm" for c in chosen):
        from lakebox.analysis.forecast.learned import lightgbm_forecasts

        found["lightgbm"] = lightgbm_forecasts(training, seasons, horizon, levels)
    return found


def _stacked(per_series: list[dict[str, Any]]) -> Forecasts:
    """Return one candidate's per-series results as arrays with a row per series."""
    return {
        key: np.array([one[key] for one in per_series], dtype=object)
        if key == FORM
        else np.vstack([one[key] for one in per_series])
        for key in per_series[0]
    }


def n_jobs(series: int) -> int:
    """Return how many processes to use: every core once there is enough work for them."""
    return max(1, min(os.cpu_count() or 1, series // SERIES_PER_PROCESS))


Fitted = dict[str, dict[str, Any]]  # candidate name -> mean, lo-L, hi-L (and FORM) of a series
Job = tuple[np.ndarray, str | None]  # a training array and the ETS form fixed for it


def _fit_all(
    chosen: list[Candidate],
    training: list[Job],
    seasons: tuple[int, ...],
    horizon: int,
    levels: list[int],
    points_only: frozenset[str],
) -> list[Fitted]:
    workers = n_jobs(len(training))
    if workers == 1:
        return _fit_chunk(chosen, training, seasons, horizon, levels, points_only)
    size = -(-len(training) // (workers * CHUNKS_PER_PROCESS))
    chunks = [training[start : start + size] for start in range(0, len(training), size)]
    with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
        parts = pool.map(
            _fit_chunk,
            *zip(
                *[(chosen, c, seasons, horizon, levels, points_only) for c in chunks], strict=True
            ),
        )
        return [one for part in parts for one in part]


def _context() -> multiprocessing.context.BaseContext:
    """Return a fork server's context: workers forked from a clean process that has imported
    the models, never from the caller, whose engine threads may hold locks."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _fit_chunk(
    chosen: list[Candidate],
    chunk: list[Job],
    seasons: tuple[int, ...],
    horizon: int,
    levels: list[int],
    points_only: frozenset[str],
) -> list[Fitted]:
    builders = _stats_models()
    return [
        {
            c.name: _fit_one(
                c, builders, values, seasons, horizon, [] if c.name in points_only else levels, form
            )
            for c in chosen
        }
        for values, form in chunk
    ]


def _fit_one(
    candidate: Candidate,
    builders: dict[str, Callable[[tuple[int, ...]], Any]],
    values: np.ndarray,
    seasons: tuple[int, ...],
    horizon: int,
    levels: list[int],
    form: str | None = None,
) -> dict[str, Any]:
    """Return one candidate's forecast of one series (the naive one if the model fails)."""
    if candidate.degree is not None:
        return polynomial.fit_forecast(values, candidate.degree, horizon, levels)
    if candidate.family == "auto_ets":
        return _fit_ets(values, seasons, horizon, levels, form)
    season = (
        seasonality.decompose(values, _main_season(seasons))
        if candidate.family in ADJUSTED
        else None
    )
    fitted_on = season.adjust(values) if season else values
    try:
        found = builders[candidate.family](seasons).forecast(
            y=fitted_on, h=horizon, level=levels or None
        )
    except Exception as error:  # statsforecast raises bare ValueErrors on degenerate series
        logger.info(
            "%s failed on a series (%s); the naive forecast stands in", candidate.name, error
        )
        found = _naive(values, horizon, levels)
        season = None
    found = _kept(found)
    if season:
        found = {key: season.restore(array, len(values)) for key, array in found.items()}
    return found


def _fit_ets(
    values: np.ndarray,
    seasons: tuple[int, ...],
    horizon: int,
    levels: list[int],
    form: str | None,
) -> dict[str, Any]:
    """Return AutoETS's forecast of one series with the form it took: `form` when given and
    it fits these values (a multiplicative form cannot fit a value of 0 or less), otherwise
    the best form by AICc; the naive forecast, without a form, if both fail."""
    season = _ets_season(seasons)
    for model in (_fixed_ets(season, form), sf.AutoETS(season_length=season)):
        if model is None:
            continue
        try:
            fitted = model.fit(values)
            found = fitted.predict(h=horizon, level=levels or None)
        except Exception as error:  # statsforecast raises bare ValueErrors on degenerate series
            logger.info("auto_ets (%s) failed on a series (%s)", form or "search", error)
            continue
        return _kept(found) | {FORM: str(fitted.model_["components"])}
    return _kept(_naive(values, horizon, levels)) | {FORM: None}


def _fixed_ets(season: int, form: str | None) -> Any:
    """Return AutoETS fixed to `form` ("MAdM" is written "MAMD"), or None without a form."""
    if form is None:
        return None
    return sf.AutoETS(season_length=season, model=form[:3], damped=form[3] == "D")


def _kept(found: dict[str, Any]) -> dict[str, np.ndarray]:
    return {
        key: np.asarray(array, dtype=float)
        for key, array in found.items()
        if key == "mean" or key[:3] in ("lo-", "hi-")
    }


def _naive(values: np.ndarray, horizon: int, levels: list[int]) -> dict[str, np.ndarray]:
    return sf.Naive().forecast(y=values, h=horizon, level=levels or None)
