"""The choice per series from its backtest: nested, and AutoETS where the backtest cannot tell.

The backtests here are built by hand (what each candidate forecast in each window), so every
case is exact and no model is fitted."""

from __future__ import annotations

import numpy as np

from lakebox.analysis.forecast import selection
from lakebox.analysis.forecast.backtest import Backtest
from lakebox.analysis.forecast.models import Candidate

HORIZON = 3
NAMES = ("theta", "ces", "auto_ets")
CANDIDATES = [Candidate(name, name) for name in NAMES]


def backtest(errors: dict[str, list[list[float]]]) -> Backtest:
    """Return a backtest where candidate `name` misses series i, window w by errors[name][i][w]
    at every step (NaN: the series has no such window); the actuals are 100, scales 1."""
    shape = np.asarray(errors[NAMES[0]], dtype=float).shape
    actuals = np.full((*shape, HORIZON), 100.0)
    missing = np.isnan(np.asarray(errors[NAMES[0]], dtype=float))
    actuals[missing] = np.nan
    forecasts = {
        name: actuals + np.asarray(errors[name], dtype=float)[..., None] for name in errors
    }
    return Backtest(forecasts, actuals, np.where(missing, np.nan, 1.0))


def test_candidates_the_backtest_cannot_separate_fall_back_to_auto_ets():
    tied = backtest({name: [[2.0, 3.0], [5.0, 1.0]] for name in NAMES})

    chosen = selection.choose(tied, CANDIDATES)

    assert chosen.strategy.name == "fallback"
    assert [choice.label for choice in chosen.choices] == ["auto_ets", "auto_ets"]


def test_a_candidate_better_in_every_window_is_chosen_over_auto_ets():
    clear = backtest(
        {
            "theta": [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
            "ces": [[6.0, 6.0, 6.0], [6.0, 6.0, 6.0]],
            "auto_ets": [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]],
        }
    )

    chosen = selection.choose(clear, CANDIDATES)

    assert chosen.strategy.name != "fallback"
    assert all(choice.members == ("theta",) for choice in chosen.choices)


def test_the_guard_keeps_a_choice_only_where_it_beats_auto_ets_in_every_window():
    mixed = backtest(
        {
            "theta": [[1.0, 1.0], [1.0, 9.0]],  # series 1: better in one window, worse in one
            "ces": [[8.0, 8.0], [8.0, 8.0]],
            "auto_ets": [[3.0, 3.0], [3.0, 3.0]],
        }
    )
    choices = [selection.Choice(("theta",), "mean")] * 2

    guarded = selection.guard(choices, mixed)

    assert [choice.label for choice in guarded] == ["theta", "auto_ets"]


def test_a_series_with_one_window_is_left_to_auto_ets():
    nan = float("nan")
    few = backtest(
        {
            "theta": [[1.0, 1.0], [1.0, nan]],
            "ces": [[5.0, 5.0], [5.0, nan]],
            "auto_ets": [[4.0, 4.0], [4.0, nan]],
        }
    )

    chosen = selection.choose(few, CANDIDATES)

    assert chosen.choices[0].members == ("theta",)
    assert chosen.choices[1].label == "auto_ets"


def test_without_auto_ets_among_the_candidates_nothing_falls_back():
    plain = backtest({"theta": [[1.0, 1.0]], "ces": [[2.0, 2.0]]})

    chosen = selection.choose(plain, CANDIDATES[:2])

    assert not chosen.strategy.guarded
    assert chosen.choices[0].members == ("theta",)


def test_the_strategy_is_scored_on_a_window_its_ranking_never_saw():
    # ranked on the older window, theta is best; on the newest, ces is: a strategy that ranked
    # on the newest window too would pick ces and score 0 there
    peeking = backtest(
        {
            "theta": [[9.0, 1.0]] * 4,
            "ces": [[0.0, 6.0]] * 4,
            "auto_ets": [[7.0, 7.0]] * 4,
        }
    )

    scores = selection._strategy_scores(peeking, CANDIDATES)

    assert scores["best_model"] == 9.0  # theta's miss in the newest window, not ces's 0
