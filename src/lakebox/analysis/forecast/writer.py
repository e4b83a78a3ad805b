"""The analytics tables of a forecast: `analytics.forecast_<name>` (one row per series and
step ahead) and `analytics.forecast_<name>_metrics` (one row per series and candidate), each
replaced in one Iceberg commit tagged with the snapshots the forecast read."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lakebox.analysis.forecast.core import Outcome, SeriesForecast
from lakebox.catalog import TableRef
from lakebox.config.forecasts import ForecastConfig
from lakebox.exploitation.publish import replace_table
from lakebox.lakehouse import Lakehouse

CREATED_AT = pa.timestamp("us", tz="UTC")


def forecast_table(
    outcome: Outcome,
    config: ForecastConfig,
    id_types: list[pa.DataType],
    time_type: pa.DataType,
    created_at: datetime,
) -> pa.Table:
    """Return the forecasts as rows: ids, `ds`, `forecast`, `lo_L`/`hi_L` per level, `model`."""
    parts = [_forecast_rows(one, config) for one in outcome.forecasts]
    rows = pd.concat(parts, ignore_index=True)
    columns: dict[str, pa.Array] = {}
    for position, (name, kind) in enumerate(zip(config.ids, id_types, strict=True)):
        columns[name] = pa.array(rows[f"_id{position}"].tolist(), type=kind)
    columns["ds"] = _times(rows["ds"], time_type)
    for column in ("forecast", *_bound_columns(config)):
        columns[column] = pa.array(rows[column].to_numpy(float), type=pa.float64())
    columns["model"] = pa.array(rows["model"].tolist(), type=pa.string())
    columns["created_at"] = pa.array([created_at] * len(rows), type=CREATED_AT)
    return pa.table(columns)


def metrics_table(
    outcome: Outcome, config: ForecastConfig, id_types: list[pa.DataType], created_at: datetime
) -> pa.Table:
    """Return every candidate's backtest per series: ids, `model`, `smape`, `mase`, `chosen`,
    `windows`, `horizon`, `note`."""
    records = [
        {
            **{f"_id{p}": value for p, value in enumerate(one.series.key)},
            "model": score.model,
            "smape": score.smape,
            "mase": score.mase,
            "chosen": score.chosen,
            "windows": one.plan.windows,
            "note": "; ".join(filter(None, [score.note, *one.plan.notes, *one.series.notes]))
            or None,
        }
        for one in outcome.forecasts
        for score in one.scores
    ]
    columns: dict[str, pa.Array] = {}
    for position, (name, kind) in enumerate(zip(config.ids, id_types, strict=True)):
        columns[name] = pa.array([r[f"_id{position}"] for r in records], type=kind)
    columns["model"] = pa.array([r["model"] for r in records], type=pa.string())
    for metric in ("smape", "mase"):
        columns[metric] = pa.array([_finite(r[metric]) for r in records], type=pa.float64())
    columns["chosen"] = pa.array([r["chosen"] for r in records], type=pa.bool_())
    columns["windows"] = pa.array([r["windows"] for r in records], type=pa.int32())
    columns["horizon"] = pa.array([config.horizon] * len(records), type=pa.int32())
    columns["note"] = pa.array([r["note"] for r in records], type=pa.string())
    columns["created_at"] = pa.array([created_at] * len(records), type=CREATED_AT)
    return pa.table(columns)


def write(
    lh: Lakehouse, ref: TableRef, table: pa.Table, run_id: str, properties: dict[str, str]
) -> int | None:
    """Replace `ref`'s content by `table` in one commit; return the new snapshot id."""
    work = lh.scratch_dir / f"forecast-{run_id}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        path = Path(work) / f"{ref.name}.parquet"
        pq.write_table(table, path)
        replace_table(lh, ref, path, run_id, properties, audit=None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lh.refresh()
    return lh.catalog.summary(ref)["snapshot_id"]


def _forecast_rows(one: SeriesForecast, config: ForecastConfig) -> pd.DataFrame:
    steps = len(one.series.values)
    future = pd.date_range(one.series.start, periods=steps + config.horizon, freq=config.offset)
    rows = pd.DataFrame({"ds": future[steps:], "forecast": one.values["mean"]})
    missing = np.full(config.horizon, np.nan)  # a model that could not give this interval
    for level in config.levels:
        rows[f"lo_{level}"] = one.values.get(f"lo-{level}", missing)
        rows[f"hi_{level}"] = one.values.get(f"hi-{level}", missing)
    for position, value in enumerate(one.series.key):
        rows[f"_id{position}"] = [value] * len(rows)
    rows["model"] = one.model
    return rows


def _bound_columns(config: ForecastConfig) -> list[str]:
    return [f"{side}_{level}" for level in config.levels for side in ("lo", "hi")]


def _times(values: pd.Series, kind: pa.DataType) -> pa.Array:
    if pa.types.is_date(kind):
        return pa.array(values.dt.date.tolist(), type=pa.date32())
    zone = "UTC" if pa.types.is_timestamp(kind) and kind.tz else None  # naive UTC values
    return pa.array(values.tolist(), type=pa.timestamp("us", tz=zone))


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
