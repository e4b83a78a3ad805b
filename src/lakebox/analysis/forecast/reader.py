"""Reading the forecasts: which exist (declared under `forecasts:` in lakebox.yaml, or a table
`analytics.forecast_<name>` whose commit records `lakebox.forecast`), what each holds, its
rows, every candidate's backtest and the actual values of a series.

The readers run lakebox's own SQL through `read` (the HTTP API passes its QueryService's
`catalog`, which holds the engine lock: uvicorn serves requests in threads)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lakebox.analysis.forecast.tables import (
    FIXED_COLUMNS,
    FORECAST_PROPERTY,
    STRATEGY_PROPERTY,
    table_refs,
)
from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.config.forecasts import ForecastConfig
from lakebox.engine import Read
from lakebox.errors import CatalogError, LakeboxError
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse

ALL_SERIES = "(all)"
SERIES_SEPARATOR = " / "


@dataclass
class ForecastState:
    """A forecast: declared in lakebox.yaml, made (its table exists), or both."""

    name: str
    declared: bool
    table: str
    exists: bool
    source: str | None
    ids: list[str]
    horizon: int | None
    freq: str | None
    horizon_label: str | None
    created_at: datetime | None
    strategy: str | None
    series_count: int
    rows: int
    snapshot: str | None  # the table's snapshot id, as text


@dataclass
class ForecastRow:
    """One step ahead of one series: the point forecast and its interval bounds."""

    series: str
    ids: dict[str, Any]
    ds: str
    forecast: float | None
    bounds: dict[str, float | None]
    model: str


@dataclass
class CandidateScore:
    """One candidate's backtest on one series; `chosen` marks the one that forecasts."""

    series: str
    ids: dict[str, Any]
    model: str
    smape: float | None
    mase: float | None
    chosen: bool
    windows: int | None
    note: str | None


@dataclass
class Actual:
    """One actual value of the series, from the forecast's input table."""

    ds: str
    value: float | None


@dataclass
class SeriesModel:
    """One series of a forecast: its key (the id values joined by ' / ') and its model."""

    series: str
    ids: dict[str, Any]
    model: str


@dataclass
class ForecastContents:
    """A forecast's rows (of one series, when asked), metrics and history."""

    summary: ForecastState
    levels: list[int]
    series: list[SeriesModel]
    rows: list[ForecastRow]
    metrics: list[CandidateScore]
    history: list[Actual]
    history_note: str | None
    truncated: bool


def forecast_names(lh: Lakehouse) -> list[str]:
    """Return the names of the declared forecasts and of those whose table exists."""
    made = {name for ref in _forecast_tables(lh) if (name := _made_by(lh, ref))}
    return sorted(set(lh.config.forecasts) | made)


def _forecast_tables(lh: Lakehouse) -> list[TableRef]:
    refs = lh.catalog.metadata_locations()
    return [ref for ref in refs if ref.zone == "analytics" and ref.name.startswith("forecast_")]


def _made_by(lh: Lakehouse, ref: TableRef) -> str | None:
    """Return the forecast whose table `ref` is (never its metrics table), else None."""
    name = ref.name.removeprefix("forecast_")
    return name if _properties(lh, ref).get(FORECAST_PROPERTY) == name else None


def _properties(lh: Lakehouse, ref: TableRef) -> dict[str, str]:
    table = lh.catalog.load(ref) if ref in lh.catalog.metadata_locations() else None
    return snapshot_properties(table.current_snapshot() if table is not None else None)


def known_forecast(lh: Lakehouse, name: str) -> str:
    """Return `name` if it is a declared or made forecast, else raise CatalogError (a 404)."""
    if name not in forecast_names(lh):
        raise CatalogError(
            f"no forecast {name!r}",
            hint="list them with GET /api/forecasts; declare one under 'forecasts:' in "
            "lakebox.yaml and run it with 'lakebox forecast NAME'",
        )
    return name


def summary(lh: Lakehouse, read: Read, name: str) -> ForecastState:
    """Return what is known of forecast `name`: its declaration and its table's state."""
    config = lh.config.forecasts.get(name)
    ref = table_refs(name)[0]
    exists = _made_by(lh, ref) == name
    ids = id_columns(lh, ref) if exists else list(config.ids if config else [])
    stats = _stats(read, ref, ids) if exists else {}
    snapshot = lh.catalog.summary(ref)["snapshot_id"] if exists else None
    return ForecastState(
        name=name,
        declared=config is not None,
        table=ref.identifier,
        exists=exists,
        source=config.source if config else None,
        ids=ids,
        horizon=config.horizon if config else None,
        freq=config.freq if config else None,
        horizon_label=config.horizon_words if config else None,
        created_at=stats.get("created_at"),
        strategy=_properties(lh, ref).get(STRATEGY_PROPERTY) if exists else None,
        series_count=stats.get("series", 0),
        rows=stats.get("rows", 0),
        snapshot=text_id(snapshot),
    )


def id_columns(lh: Lakehouse, ref: TableRef) -> list[str]:
    """Return a forecast table's id columns: those that are not its time, values or bounds."""
    return [column for column in _columns(lh, ref) if not _is_forecast_column(column)]


def _columns(lh: Lakehouse, ref: TableRef) -> list[str]:
    table = lh.catalog.load(ref)
    return [field.name for field in table.schema().fields] if table is not None else []


def _is_forecast_column(column: str) -> bool:
    return _is_bound(column) or column in FIXED_COLUMNS


def _stats(read: Read, ref: TableRef, ids: list[str]) -> dict[str, Any]:
    found: list[dict[str, Any]] = read(
        f"SELECT max(created_at) AS created_at, count(*) AS rows, "
        f"count(DISTINCT {series_key(ids)}) AS series FROM {_quoted(ref)}"
    ).to_pylist()
    return found[0]


def series_key(ids: list[str]) -> str:
    """Return the SQL of a series' key: its id values as text joined by ' / '."""
    if not ids:
        return quote_literal(ALL_SERIES)
    parts = ", ".join(f"CAST({quote_identifier(column)} AS VARCHAR)" for column in ids)
    return f"concat_ws({quote_literal(SERIES_SEPARATOR)}, {parts})"


def contents(
    lh: Lakehouse, read: Read, name: str, series: str | None, limit: int
) -> ForecastContents:
    """Return forecast `name`'s rows, metrics and history (of `series` only, when given)."""
    about = summary(lh, read, name)
    config = lh.config.forecasts.get(name)
    if not about.exists:
        levels = config.levels if config else []
        note = f"not made yet: run it with POST /api/forecasts/{name} or 'lakebox forecast {name}'"
        return ForecastContents(about, levels, [], [], [], [], note, truncated=False)
    ref, metrics_ref = table_refs(name)
    points, truncated = forecast_rows(read, ref, about.ids, series, limit)
    history, note = actuals(read, config, series, limit)
    return ForecastContents(
        summary=about,
        levels=_levels(_columns(lh, ref)),
        series=series_models(read, ref, about.ids),
        rows=points,
        metrics=candidate_scores(lh, read, metrics_ref, about.ids, series),
        history=history,
        history_note=note,
        truncated=truncated,
    )


def _levels(columns: list[str]) -> list[int]:
    return sorted({int(column[3:]) for column in columns if _is_bound(column)})


def _where_series(ids: list[str], series: str | None) -> tuple[str, list[object]]:
    if series is None:
        return "", []
    return f"WHERE {series_key(ids)} = ?", [series]


def forecast_rows(
    read: Read, ref: TableRef, ids: list[str], series: str | None, limit: int
) -> tuple[list[ForecastRow], bool]:
    """Return the forecast's rows (of `series`), by series and time, and whether cut at `limit`."""
    where, parameters = _where_series(ids, series)
    found = read(
        f"SELECT {series_key(ids)} AS _series, * FROM {_quoted(ref)} {where} "
        f"ORDER BY _series, ds LIMIT {int(limit) + 1}",
        parameters,
    ).to_pylist()
    points = [_row(row, ids) for row in found[:limit]]
    return points, len(found) > limit


def _row(row: dict[str, Any], ids: list[str]) -> ForecastRow:
    bounds = {column: finite(value) for column, value in row.items() if _is_bound(column)}
    return ForecastRow(
        series=row["_series"],
        ids=plain_ids({column: row[column] for column in ids}),
        ds=_iso(row["ds"]),
        forecast=finite(row["forecast"]),
        bounds=bounds,
        model=row["model"] or "",
    )


def _is_bound(column: str) -> bool:
    return column.startswith(("lo_", "hi_")) and column[3:].isdigit()


def series_models(read: Read, ref: TableRef, ids: list[str]) -> list[SeriesModel]:
    """Return every series of a forecast table, by key, with its model."""
    columns = "".join(f", {quote_identifier(column)}" for column in ids)
    found = read(
        f"SELECT DISTINCT {series_key(ids)} AS _series{columns}, model FROM {_quoted(ref)} "
        "ORDER BY _series"
    ).to_pylist()
    return [
        SeriesModel(
            series=row["_series"],
            ids=plain_ids({column: row[column] for column in ids}),
            model=row["model"] or "",
        )
        for row in found
    ]


def candidate_scores(
    lh: Lakehouse, read: Read, ref: TableRef, ids: list[str], series: str | None
) -> list[CandidateScore]:
    """Return every candidate's backtest sMAPE and MASE (of `series`), best MASE first."""
    if ref not in lh.catalog.metadata_locations():
        return []
    where, parameters = _where_series(ids, series)
    found = read(
        f"SELECT {series_key(ids)} AS _series, * FROM {_quoted(ref)} {where} "
        "ORDER BY _series, mase NULLS LAST, model",
        parameters,
    ).to_pylist()
    return [
        CandidateScore(
            series=row["_series"],
            ids=plain_ids({column: row[column] for column in ids}),
            model=row["model"],
            smape=finite(row["smape"]),
            mase=finite(row["mase"]),
            chosen=bool(row["chosen"]),
            windows=row.get("windows"),
            note=row.get("note"),
        )
        for row in found
    ]


def actuals(
    read: Read, config: ForecastConfig | None, series: str | None, limit: int
) -> tuple[list[Actual], str | None]:
    """Return the actual values of `series` from the declared forecast's input, or why none."""
    if config is None:
        return [], "not declared in lakebox.yaml: its input's columns are not known"
    if series is None:
        return [], "pick a series (?series=) to see its history"
    if config.table is not None:
        zone, _, table = config.table.partition(".")
        source = f"{quote_identifier(zone)}.{quote_identifier(table)}"
    else:
        source = f"({config.sql})"
    sql = (
        f"SELECT {quote_identifier(config.time)} AS ds, "
        f"CAST({quote_identifier(config.value)} AS DOUBLE) AS value FROM {source} AS source "
        f"WHERE {series_key(config.ids)} = ? ORDER BY 1 LIMIT {int(limit)}"
    )
    try:
        found = read(sql, [series]).to_pylist()
    except LakeboxError as error:
        return [], f"cannot read the history from {config.source}: {error.message}"
    return [Actual(ds=_iso(row["ds"]), value=finite(row["value"])) for row in found], None


def _quoted(ref: TableRef) -> str:
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"


def finite(value: object) -> float | None:
    """Return `value` as a float, or None when it is missing, NaN or infinite (not JSON)."""
    if value is None or isinstance(value, bool):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def text_id(value: int | None) -> str | None:
    """Return a 64-bit id as text: JavaScript's numbers lose its last digits."""
    return None if value is None else str(value)


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def plain_ids(ids: dict[str, Any]) -> dict[str, Any]:
    """Return id values as JSON values: text, numbers and booleans kept, the rest as text."""
    return {
        key: value if value is None or isinstance(value, str | int | float | bool) else _iso(value)
        for key, value in ids.items()
    }
