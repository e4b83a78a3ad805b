"""Choosing what to forecast each series with, by its backtest.

Candidates are ranked per series by their mean backtest MASE; within a family (the polynomial's
degrees) only the best member stays. A *strategy* turns a ranking into a forecast: the best
candidate alone, or the mean or median of the best few. Which strategy is used is itself
decided by backtest, without peeking: each strategy ranks the candidates on the older windows
and is scored on the newest one, which that ranking never saw; the strategy with the lowest
mean MASE there is applied to every series, ranked on all its windows.
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


STRATEGIES = (
    Strategy("best", 1, "mean", baselines=True),
    Strategy("best_model", 1, "mean"),
    Strategy("mean_top2", 2, "mean"),
    Strategy("mean_top3", 3, "mean"),
    Strategy("median_top3", 3, "median"),
    Strategy("median_all", None, "median"),
    Strategy("mean_all", None, "mean"),
)
DEFAULT_STRATEGY = STRATEGIES[4]  # used when no series has two windows to decide with


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
        choices = _choices(ranking, strategy, _baselines(candidates))
        combined = np.stack(
            [c.apply({n: f[i] for n, f in newest.items()}) for i, c in enumerate(choices)]
        )
        errors = mase(backtest.actuals[usable, 0], combined, backtest.scales[usable, 0])
        scores[strategy.name] = round(float(np.mean(errors)), 9)  # a tie goes to the simpler
    return scores


def _baselines(candidates: list[Candidate]) -> set[str]:
    return {c.name for c in candidates if c.baseline}
