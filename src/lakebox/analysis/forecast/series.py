"""The series of a forecast: rows read from a table split by id, checked and put on a regular
grid of the forecast's frequency (a missing step is filled, and counted, or refused)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from lakebox.config.forecasts import ForecastConfig
from lakebox.errors import AnalysisError

logger = logging.getLogger(__name__)
MIN_TRAIN = 6  # the fewest points a backtest window may be fitted on


@dataclass
class Series:
    """One series: its id values, its first time step and its values on the regular grid."""

    key: tuple[object, ...]
    start: pd.Timestamp
    values: np.ndarray
    filled: int = 0
    notes: list[str] = field(default_factory=list)

    def label(self, ids: list[str]) -> str:
        """Return e.g. `material='Sílice'`, or `the series` for a table without ids."""
        pairs = [f"{name}={value!r}" for name, value in zip(ids, self.key, strict=True)]
        return ", ".join(pairs) or "the series"


def from_arrow(table: pa.Table, config: ForecastConfig) -> list[Series]:
    """Return the series of `table`, checked against `config` (columns, types, lengths)."""
    _check_columns(table, config)
    frame = table.select([*config.ids, config.time, config.value]).to_pandas()
    return from_frame(frame, config)


def from_frame(frame: pd.DataFrame, config: ForecastConfig) -> list[Series]:
    """Return the series of a frame holding the id, time and value columns of `config`."""
    frame = frame.assign(
        **{config.time: _timestamps(frame[config.time], config)},
        **{config.value: pd.to_numeric(frame[config.value], errors="coerce").astype(float)},
    ).dropna(subset=[config.time])
    if frame.empty:
        raise AnalysisError(f"{config.source} has no rows to forecast", table=config.table)
    groups = frame.groupby(config.ids, sort=True, dropna=False) if config.ids else [((), frame)]
    found = [_series(_as_key(key), group, config) for key, group in groups]
    _check_lengths(found, config)
    return found


def _as_key(key: object) -> tuple[object, ...]:
    return key if isinstance(key, tuple) else (key,)


def _check_columns(table: pa.Table, config: ForecastConfig) -> None:
    for column in [*config.ids, config.time, config.value]:
        if column not in table.column_names:
            raise AnalysisError(
                f"{config.source} has no column {column!r} (columns: "
                f"{', '.join(table.column_names)})",
                hint="name an existing column with --id/--time/--value or in lakebox.yaml",
                table=config.table,
                column=column,
            )
    kind = table.schema.field(config.value).type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        raise AnalysisError(
            f"{config.source}: value column {config.value!r} is {kind}, not a number",
            hint="cast it in a query (sql: SELECT …, CAST(x AS DOUBLE) AS x …)",
            table=config.table,
            column=config.value,
        )


def _timestamps(column: pd.Series, config: ForecastConfig) -> pd.Series:
    try:
        stamps = pd.to_datetime(column)
    except (ValueError, TypeError) as error:
        raise AnalysisError(
            f"{config.source}: time column {config.time!r} does not hold dates or times",
            table=config.table,
            column=config.time,
        ) from error
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def _series(key: tuple[object, ...], group: pd.DataFrame, config: ForecastConfig) -> Series:
    label = Series(key, pd.Timestamp(0), np.empty(0)).label(config.ids)
    repeated = group[config.time].duplicated()
    if repeated.any():
        moment = group.loc[repeated, config.time].iloc[0]
        raise AnalysisError(
            f"{config.source}: {label} has {int(repeated.sum()) + 1} rows at {moment}; "
            "a series needs one value per time step",
            hint="aggregate the rows first, e.g. with sql: SELECT …, sum(x) … GROUP BY …",
            table=config.table,
            column=config.time,
        )
    values = group.set_index(config.time)[config.value].sort_index()
    grid = pd.date_range(values.index[0], values.index[-1], freq=config.offset)
    off_grid = values.index.difference(grid)
    if len(off_grid):
        raise AnalysisError(
            f"{config.source}: {label} has time {off_grid[0]} off the {config.freq!r} grid "
            f"that starts at {values.index[0]}",
            hint="truncate the time column to the frequency, e.g. date_trunc('month', t)",
            table=config.table,
            column=config.time,
        )
    return _filled(Series(key, grid[0], values.reindex(grid).to_numpy(float)), label, config)


def _filled(series: Series, label: str, config: ForecastConfig) -> Series:
    missing = np.isnan(series.values)
    if not missing.any():
        return series
    if config.fill == "error":
        raise AnalysisError(
            f"{config.source}: {label} has {int(missing.sum())} missing or empty time steps",
            hint="set fill: interpolate (or zero) for the forecast, or complete the data",
            table=config.table,
            column=config.value,
        )
    series.filled = int(missing.sum())
    if config.fill == "zero":
        series.values = np.where(missing, 0.0, series.values)
    else:
        series.values = pd.Series(series.values).interpolate(limit_direction="both").to_numpy()
    series.notes.append(f"{series.filled} missing steps filled ({config.fill})")
    logger.info("%s: %s", label, series.notes[-1])
    return series


def _check_lengths(found: list[Series], config: ForecastConfig) -> None:
    needed = config.horizon + MIN_TRAIN
    short = [series for series in found if len(series.values) < needed]
    if short:
        first = short[0]
        raise AnalysisError(
            f"{config.source}: {first.label(config.ids)} has {len(first.values)} time steps; "
            f"a {config.horizon}-step forecast needs at least {needed} to be backtested "
            f"({len(short)} of {len(found)} series are that short)",
            hint="lower the horizon, or leave short series out with a query (sql: …)",
            table=config.table,
            column=config.time,
        )
