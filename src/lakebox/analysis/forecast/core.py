"""The forecast in memory: series in; backtest, selection and final forecasts out. No I/O, so
`lakebox forecast` and the M3 benchmark run the very same code."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np

from lakebox.analysis.forecast import backtest as backtesting
from lakebox.analysis.forecast import intervals, models, selection
from lakebox.analysis.forecast.series import MIN_TRAIN, Series
from lakebox.config.forecasts import ForecastConfig
from lakebox.ground.reporter import NULL_REPORTER, Reporter

logger = logging.getLogger(__name__)
# Every model is fitted on at most the last WINDOW_SEASONS longest seasons (WINDOW_MIN steps at
# the least) before its forecast origin: the cost per series stays flat in its length, and on
# monthly data (120 months) accuracy is no worse than with the whole history (the benchmark
# prints both).
WINDOW_SEASONS = 10
WINDOW_MIN = 120


def fit_window(config: ForecastConfig) -> int:
    """Return the most steps any model of `config`'s forecast is fitted on."""
    return max(WINDOW_MIN, WINDOW_SEASONS * max(config.seasons, default=1))


@dataclass
class Plan:
    """How one series is backtested: its number of windows and the seasons it is long for."""

    windows: int
    seasons: tuple[int, ...]
    notes: list[str] = field(default_factory=list)


@dataclass
class Score:
    """One candidate's backtest of one series."""

    model: str
    smape: float
    mase: float
    chosen: bool = False
    note: str = ""


@dataclass
class SeriesForecast:
    """One series' forecast (`mean`, `lo-L`, `hi-L`), what made it, and every candidate's score."""

    series: Series
    plan: Plan
    model: str
    values: dict[str, np.ndarray]
    scores: list[Score]


@dataclass
class Outcome:
    """Every series' forecast and the selection strategy the backtest chose."""

    forecasts: list[SeriesForecast]
    strategy: str
    strategy_scores: dict[str, float]


def plan(series: Series, config: ForecastConfig) -> Plan:
    """Return how many windows `series` can be backtested on and which seasons fit them: a
    season needs two full cycles in the shortest backtest training, so fewer windows are
    taken when that keeps every season (a season is left out only when one window cannot)."""
    length = len(series.values)
    windows = min(config.backtest_windows, (length - MIN_TRAIN) // config.horizon)
    keeping = (length - 2 * max(config.seasons, default=0)) // config.horizon
    windows = min(windows, keeping) if keeping >= 1 else windows
    shortest = len(series.values) - windows * config.horizon
    seasons = tuple(season for season in config.seasons if shortest >= 2 * season)
    notes = [
        f"season {season} left out: the shortest backtest training has {shortest} steps, "
        f"it needs {2 * season}"
        for season in config.seasons
        if season not in seasons
    ]
    if windows < config.backtest_windows:
        notes.append(f"{windows} backtest windows (too short for {config.backtest_windows})")
    return Plan(windows, seasons, notes)


def forecast_series(
    series: list[Series],
    config: ForecastConfig,
    reporter: Reporter = NULL_REPORTER,
    windowed: bool = True,
) -> Outcome:
    """Return the forecasts of `series`: candidates backtested, a choice per series, and the
    chosen candidates (or their ensemble) refitted on the recent data with intervals; with
    `windowed` False every model is fitted on the whole history instead."""
    window = fit_window(config) if windowed else None
    plans = [plan(one, config) for one in series]
    groups: dict[tuple[int, ...], list[int]] = {}
    for position, one in enumerate(plans):
        groups.setdefault(one.seasons, []).append(position)
    candidates = {seasons: models.candidates(config.models, seasons) for seasons in groups}
    backtests = _backtests(series, plans, groups, candidates, config, window, reporter)
    merged, union = _merge(backtests, groups, candidates, len(series))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no such candidate
        chosen = selection.choose(merged, union)
        ranking = selection.rank_scores(merged, union)
        errors = {
            name: (np.nanmean(merged.smape(name), axis=1), np.nanmean(merged.mase(name), axis=1))
            for name in merged.forecasts
        }
    fitted_on = [backtesting.recent(one.values, window) for one in series]
    finals = _finals(series, fitted_on, plans, groups, candidates, chosen, merged, config, reporter)
    forecasts = [
        _series_forecast(series[i], plans[i], chosen, errors, ranking, finals[i], i)
        for i in range(len(series))
    ]
    return Outcome(forecasts, chosen.strategy.name, chosen.scores)


def _backtests(
    series: list[Series],
    plans: list[Plan],
    groups: dict[tuple[int, ...], list[int]],
    candidates: dict[tuple[int, ...], list[models.Candidate]],
    config: ForecastConfig,
    window: int | None,
    reporter: Reporter,
) -> dict[tuple[int, ...], backtesting.Backtest]:
    """Return the backtest of each group of series that share their seasons."""
    found = {}
    for done, (seasons, members) in enumerate(groups.items()):
        reporter.progress("backtest", config.name or "", done, len(groups))
        found[seasons] = backtesting.run(
            [series[i].values for i in members],
            [plans[i].windows for i in members],
            candidates[seasons],
            seasons,
            config.horizon,
            window,
        )
    reporter.progress("backtest", config.name or "", len(groups), len(groups))
    return found


def _merge(
    backtests: dict[tuple[int, ...], backtesting.Backtest],
    groups: dict[tuple[int, ...], list[int]],
    candidates: dict[tuple[int, ...], list[models.Candidate]],
    count: int,
) -> tuple[backtesting.Backtest, list[models.Candidate]]:
    """Return one backtest of every series (NaN where a candidate was not run)."""
    union = list({c.name: c for group in candidates.values() for c in group}.values())
    most = max(b.actuals.shape[1] for b in backtests.values())
    horizon = next(iter(backtests.values())).actuals.shape[2]
    actuals = np.full((count, most, horizon), np.nan)
    scales = np.full((count, most), np.nan)
    forecasts = {c.name: actuals.copy() for c in union}
    for seasons, members in groups.items():
        part = backtests[seasons]
        windows = part.actuals.shape[1]
        actuals[members, :windows] = part.actuals
        scales[members, :windows] = part.scales
        for name, found in part.forecasts.items():
            forecasts[name][members, :windows] = found
    return backtesting.Backtest(forecasts, actuals, scales), union


def _finals(
    series: list[Series],
    fitted_on: list[np.ndarray],
    plans: list[Plan],
    groups: dict[tuple[int, ...], list[int]],
    candidates: dict[tuple[int, ...], list[models.Candidate]],
    chosen: selection.Selection,
    merged: backtesting.Backtest,
    config: ForecastConfig,
    reporter: Reporter,
) -> dict[int, dict[str, np.ndarray]]:
    """Return each series' final forecast: its choice refitted on all its data, with intervals
    calibrated on the backtest (the models' own only when it is too small to calibrate)."""
    widths = intervals.scaled_widths(merged.actuals, chosen.backtest, merged.scales, config.levels)
    levels = [level for level in config.levels if level not in widths]
    finals: dict[int, dict[str, np.ndarray]] = {}
    for done, (seasons, members) in enumerate(groups.items()):
        reporter.progress("forecast", config.name or "", done, len(groups))
        choices = [chosen.choices[i] for i in members]
        needed = [c for c in candidates[seasons] if any(c.name in x.members for x in choices)]
        fitted = models.predict(
            needed,
            [fitted_on[i] for i in members],
            seasons,
            config.horizon,
            levels,
            points_only=frozenset(c.name for c in needed if c.costly_intervals),
        )
        for row, (i, choice) in enumerate(zip(members, choices, strict=True)):
            own = {
                name: {key: a[row] for key, a in found.items() if key != models.FORM}
                for name, found in fitted.items()
            }
            if levels and len(choice.members) == 1 and len(own[choice.members[0]]) == 1:
                own = _with_intervals(needed, fitted_on[i], seasons, config, choice)
            combined = choice.combine_all({name: own[name] for name in choice.members})
            season = plans[i].seasons[0] if plans[i].seasons else 1
            scale = backtesting.naive_scale(fitted_on[i], season)
            final = intervals.nested(intervals.widen(combined, widths, scale), config.levels)
            keep = keeps_non_negative(config, series[i].values)
            finals[i] = intervals.clipped(final) if keep else final
    reporter.progress("forecast", config.name or "", len(groups), len(groups))
    return finals


def keeps_non_negative(config: ForecastConfig, values: np.ndarray) -> bool:
    """Return whether a series of these `values` is forecast at 0 or more (its point
    forecasts and interval bounds clipped at 0): always with `non_negative: true`, never with
    `false`, and with `auto` when no value of its history is negative."""
    if config.non_negative != "auto":
        return bool(config.non_negative)
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool((finite >= 0).all())


def _with_intervals(
    needed: list[models.Candidate],
    values: np.ndarray,
    seasons: tuple[int, ...],
    config: ForecastConfig,
    choice: selection.Choice,
) -> dict[str, dict[str, np.ndarray]]:
    """Return a lone costly-interval choice refitted with its intervals."""
    member = [c for c in needed if c.name in choice.members]
    fitted = models.predict(member, [values], seasons, config.horizon, config.levels)
    return {
        name: {key: a[0] for key, a in found.items() if key != models.FORM}
        for name, found in fitted.items()
    }


def _series_forecast(
    one: Series,
    plan_: Plan,
    chosen: selection.Selection,
    errors: dict[str, tuple[np.ndarray, np.ndarray]],
    ranking: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
    i: int,
) -> SeriesForecast:
    """Return one series' forecast with every candidate's backtest sMAPE and MASE."""
    choice = chosen.choices[i]
    scores = []
    for name, (smape, mase) in errors.items():
        if np.isnan(mase[i]):
            continue
        note = "in the ensemble" if len(choice.members) > 1 and name in choice.members else ""
        if not note and np.isnan(ranking[name][i]):
            note = "a better degree of the same family was kept"
        scores.append(
            Score(
                name,
                float(smape[i]),
                float(mase[i]),
                chosen=choice.members == (name,),
                note=note,
            )
        )
    if len(choice.members) > 1:
        scores.append(
            Score(
                choice.label,
                float(chosen.smape[i]),
                float(chosen.mase[i]),
                True,
                f"strategy {chosen.strategy.name}",
            )
        )
    return SeriesForecast(one, plan_, choice.label, values, scores)
