"""Choosing what to forecast each series with, by its backtest.

Candidates are ranked per series by their mean backtest MASE; within a family (the polynomial's
degrees) only the best member stays. A *strategy* turns a ranking into a forecast: the best
candidate alone, or the mean or median of the best few. Which strategy is used is itself
decided by backtest, without peeking: each strategy ranks the candidates on the older windows
and is scored on the newest one, which that ranking never saw; the strategy with the lowest
mean MASE there is applied to every series, ranked on all its windows.

Each strategy also comes in a *guarded* form: a series keeps the strategy's choice only where
its own backtest tells it apart from the fallback (AutoETS) — the choice beats the fallback in
every window it has — and is forecast by the fallback otherwise. Whether the guard is used is
decided by the same nested backtest, the guard itself applied on the older windows only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from lakebox.analysis.forecast.backtest import Backtest, mase, smape
from lakebox.analysis.forecast.models import Candidate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Strategy:
    """How a ranking becomes a forecast: combine the best `top` (all when None) by `combine`;
    only `best` lets a baseline (the polynomial trend) win a series, alone."""

    name: str
    top: int | None
    combine: str  # mean | median
    baselines: bool = False
    guarded: bool = False  # the fallback where the series' backtest cannot tell
    members: tuple[str, ...] = ()  # a fixed combination, the same for every series

    def with_guard(self) -> Strategy:
        """Return this strategy with the fallback where the backtest cannot tell."""
        return Strategy(f"{self.name}+fallback", self.top, self.combine, self.baselines, True)


FALLBACK = "auto_ets"
PLAIN = (
    Strategy("best", 1, "mean", baselines=True),
    Strategy("best_model", 1, "mean"),
    Strategy("mean_top2", 2, "mean"),
    Strategy("mean_top3", 3, "mean"),
    Strategy("median_top3", 3, "median"),
    Strategy("median_all", None, "median"),
    Strategy("mean_all", None, "mean"),
    Strategy("mean_ets_theta", None, "mean", members=("auto_ets", "auto_theta")),
    Strategy("mean_ets_theta_ces", None, "mean", members=("auto_ets", "auto_theta", "ces")),
)
ALWAYS_FALLBACK = Strategy("fallback", 0, "mean", guarded=True)  # the fallback for every series
# first: where the strategies tie, the backtest cannot tell them apart and the fallback is used
STRATEGIES = (ALWAYS_FALLBACK, *PLAIN, *(strategy.with_guard() for strategy in PLAIN))
# used when no series has two windows to decide with: then no series' backtest can tell
DEFAULT_STRATEGY = PLAIN[4].with_guard()


@dataclass(frozen=True)
class Choice:
    """What one series is forecast with: one candidate, or a combination of several."""

    members: tuple[str, ...]
    combine: str

    @property
    def label(self) -> str:
        """Return the name written in the tables, e.g. `theta` or `ensemble(mean: a, b)`."""
        if len(self.members) == 1:
            return self.members[0]
        return f"ensemble({self.combine}: {', '.join(self.members)})"

    def apply(self, forecasts: dict[str, np.ndarray]) -> np.ndarray:
        """Return the members' forecasts combined (arrays of the same shape)."""
        stacked = np.stack([forecasts[name] for name in self.members if name in forecasts])
        return np.median(stacked, axis=0) if self.combine == "median" else stacked.mean(axis=0)

    def combine_all(self, fitted: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Return the members' `mean` combined, and each bound as that plus the members'
        distances to their bound combined (over the members that have it: one whose intervals
        cost too much gives its point forecast only)."""
        mean = self.apply({name: found["mean"] for name, found in fitted.items()})
        bounds = dict.fromkeys(key for found in fitted.values() for key in found if key != "mean")
        return {"mean": mean} | {
            key: mean
            + self.apply(
                {name: found[key] - found["mean"] for name, found in fitted.items() if key in found}
            )
            for key in bounds
        }


@dataclass
class Selection:
    """The strategy used, its nested-backtest score next to the others', and each series'
    choice with that choice's backtest sMAPE and MASE."""

    strategy: Strategy
    scores: dict[str, float]
    choices: list[Choice]
    smape: np.ndarray
    mase: np.ndarray
    backtest: np.ndarray  # the choices' forecasts of the backtest windows


def rank_scores(backtest: Backtest, candidates: list[Candidate]) -> dict[str, np.ndarray]:
    """Return each candidate's ranking score per series (NaN where it is not a contender)."""
    # rounded so that equally good candidates tie, and the first listed (simplest) wins
    scores = {c.name: np.round(np.nanmean(backtest.mase(c.name), axis=1), 9) for c in candidates}
    families: dict[str, list[str]] = {}
    for candidate in candidates:
        families.setdefault(candidate.family, []).append(candidate.name)
    for members in families.values():
        if len(members) > 1:
            stacked = np.stack([np.where(np.isnan(scores[m]), np.inf, scores[m]) for m in members])
            best = stacked.argmin(axis=0)
            for position, member in enumerate(members):
                scores[member] = np.where(best == position, scores[member], np.nan)
    return scores


def choose(backtest: Backtest, candidates: list[Candidate]) -> Selection:
    """Return the strategy that backtests best and every series' choice under it."""
    scores = _strategy_scores(backtest, candidates)
    strategy = min(STRATEGIES, key=lambda s: scores.get(s.name, np.inf)) if scores else None
    strategy = strategy or DEFAULT_STRATEGY
    logger.info("selection strategy %s (nested backtest MASE %s)", strategy.name, scores)
    ranking = rank_scores(backtest, candidates)
    choices = _choices(ranking, strategy, _baselines(candidates))
    if strategy.guarded:
        choices = guard(choices, backtest)
    choices = _untold(choices, backtest)
    combined = np.stack(
        [
            choice.apply({n: f[i] for n, f in backtest.forecasts.items()})
            for i, choice in enumerate(choices)
        ]
    )
    return Selection(
        strategy,
        scores,
        choices,
        np.nanmean(smape(backtest.actuals, combined), axis=1),
        np.nanmean(mase(backtest.actuals, combined, backtest.scales), axis=1),
        combined,
    )


def _choices(
    ranking: dict[str, np.ndarray], strategy: Strategy, baselines: set[str]
) -> list[Choice]:
    names = list(ranking)
    table = np.stack([ranking[name] for name in names])  # (candidates, series)
    allowed = [strategy.baselines or name not in baselines for name in names]
    choices = []
    if strategy.top == 0:
        return [Choice((FALLBACK,), "mean")] * table.shape[1]
    if strategy.members:
        return [Choice(strategy.members, strategy.combine)] * table.shape[1]
    for i in range(table.shape[1]):
        order = [j for j in np.argsort(table[:, i], kind="stable") if np.isfinite(table[j, i])]
        contenders = [j for j in order if allowed[j]] or order  # baselines when nothing else
        members = contenders[: strategy.top] if strategy.top else contenders
        choices.append(Choice(tuple(sorted(names[j] for j in members)), strategy.combine))
    return choices


def _strategy_scores(backtest: Backtest, candidates: list[Candidate]) -> dict[str, float]:
    """Return each strategy's mean MASE on the newest window, ranked on the older ones."""
    usable = np.where(np.isfinite(backtest.actuals[:, 1:, 0]).any(axis=1))[0]
    if len(usable) == 0:
        return {}
    older = Backtest(
        {name: f[usable, 1:] for name, f in backtest.forecasts.items()},
        backtest.actuals[usable, 1:],
        backtest.scales[usable, 1:],
    )
    ranking = rank_scores(older, candidates)
    newest = {name: f[usable, 0] for name, f in backtest.forecasts.items()}
    scores = {}
    for strategy in STRATEGIES:
        needs = (*strategy.members, *((FALLBACK,) if strategy.guarded else ()))
        if any(name not in backtest.forecasts for name in needs):
            continue
        choices = _choices(ranking, strategy, _baselines(candidates))
        if strategy.guarded:
            choices = guard(choices, older)
        combined = np.stack(
            [c.apply({n: f[i] for n, f in newest.items()}) for i, c in enumerate(choices)]
        )
        errors = mase(backtest.actuals[usable, 0], combined, backtest.scales[usable, 0])
        scores[strategy.name] = round(float(np.mean(errors)), 9)  # a tie goes to the simpler
    return scores


def guard(choices: list[Choice], backtest: Backtest) -> list[Choice]:
    """Return `choices` with the fallback in place of each that its series' backtest cannot
    tell apart from it: one that does not beat the fallback in every window the series has
    (a series with no window, or no fallback forecast, keeps its choice)."""
    if FALLBACK not in backtest.forecasts:
        return choices
    fallback = backtest.mase(FALLBACK)
    guarded = []
    for i, choice in enumerate(choices):
        own = mase(
            backtest.actuals[i],
            choice.apply({n: f[i] for n, f in backtest.forecasts.items()}),
            backtest.scales[i],
        )
        known = np.isfinite(own) & np.isfinite(fallback[i])
        tells = not known.any() or bool((own[known] < fallback[i][known]).all())
        guarded.append(choice if tells else Choice((FALLBACK,), "mean"))
    return guarded


def _untold(choices: list[Choice], backtest: Backtest) -> list[Choice]:
    """Return `choices` with the fallback for each series of fewer than two windows: no
    window of its own was left to check its choice on."""
    if FALLBACK not in backtest.forecasts:
        return choices
    counts = np.isfinite(backtest.actuals[:, :, 0]).sum(axis=1)
    return [c if counts[i] > 1 else Choice((FALLBACK,), "mean") for i, c in enumerate(choices)]


def _baselines(candidates: list[Candidate]) -> set[str]:
    return {c.name for c in candidates if c.baseline}
