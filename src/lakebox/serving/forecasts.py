"""The forecast and anomaly endpoints of `lakebox serve`: declared forecasts and their tables,
a forecast's rows, backtest metrics and history, running a forecast now, and the stored
anomalies with filters.

Forecasts are found two ways: declared under `forecasts:` in lakebox.yaml, and as tables
`analytics.forecast_<name>` whose commit records `lakebox.forecast` (made by the CLI or a POST
with a body). Every engine query holds the engine lock: uvicorn serves requests in threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, ValidationError

from lakebox.analysis.forecast.spec import ForecastConfig, forecast_name
from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.errors import AnalysisError, CatalogError, ConfigError, LakeboxError
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService

if TYPE_CHECKING:
    from lakebox.analysis.forecast.run import ForecastReport

FORECAST_PROPERTY = "lakebox.forecast"  # as written by lakebox.analysis.forecast.run
STRATEGY_PROPERTY = "lakebox.forecast-strategy"
FIXED_COLUMNS = ("ds", "forecast", "model", "created_at")
ALL_SERIES = "(all)"
SERIES_SEPARATOR = " / "
MAX_ROWS = 100_000
ANOMALIES = TableRef("analytics", "anomalies")
Severity = Literal["info", "warn", "critical"]


class ForecastSummary(BaseModel):
    """A forecast: declared in lakebox.yaml, made (its table exists), or both."""

    name: str
    declared: bool
    table: str
    exists: bool
    source: str | None = Field(description="The table it reads, when declared.")
    ids: list[str]
    horizon: int | None
    freq: str | None
    horizon_label: str | None = Field(
        default=None, description="The horizon in words, e.g. '12 months'."
    )
    created_at: datetime | None
    strategy: str | None
    series_count: int
    rows: int
    snapshot: str | None = Field(description="The table's snapshot id, as text.")


class ForecastPoint(BaseModel):
    """One step ahead of one series: the point forecast and its interval bounds."""

    series: str
    ids: dict[str, Any]
    ds: str
    forecast: float | None
    bounds: dict[str, float | None] = Field(description="lo_80, hi_80, lo_95, hi_95 …")
    model: str


class CandidateMetrics(BaseModel):
    """One candidate's backtest on one series; `chosen` marks the one that forecasts."""

    series: str
    ids: dict[str, Any]
    model: str
    smape: float | None
    mase: float | None
    chosen: bool
    windows: int | None
    note: str | None


class HistoryPoint(BaseModel):
    """One actual value of the series, from the forecast's input table."""

    ds: str
    value: float | None


class SeriesEntry(BaseModel):
    """One series of a forecast: its key (the id values joined by ' / ') and its model."""

    series: str
    ids: dict[str, Any]
    model: str


class ForecastDetail(BaseModel):
    """A forecast's rows (of one series, with `series`), metrics and history."""

    summary: ForecastSummary
    levels: list[int]
    series: list[SeriesEntry]
    rows: list[ForecastPoint]
    metrics: list[CandidateMetrics]
    history: list[HistoryPoint]
    history_note: str | None
    truncated: bool


class ForecastRequest(BaseModel):
    """A forecast to make from a table, as `lakebox forecast NAME --table …` does."""

    table: str = Field(description="zone.table, e.g. exploitation.materials_monthly")
    ids: list[str] = Field(default_factory=list, max_length=20)
    time: str
    value: str
    freq: str = Field(description="MS or M (monthly), D, h, W, QS …")
    horizon: int = Field(ge=1, le=10_000)
    levels: list[int] | None = Field(default=None, max_length=10)
    models: list[str] | None = Field(default=None, max_length=20)
    backtest_windows: int | None = Field(default=None, ge=1, le=20)


class SeriesRun(BaseModel):
    """One series of a run: the model chosen and its backtest scores."""

    ids: dict[str, Any]
    model: str
    smape: float | None
    mase: float | None
    windows: int
    notes: list[str]


class ForecastRun(BaseModel):
    """What a forecast run did: tables written, snapshots read (ids as text), per series."""

    name: str
    table: str
    metrics_table: str
    inputs: dict[str, str | None]
    snapshot: str | None
    rows: int
    strategy: str
    strategy_scores: dict[str, float | None]
    seconds: float
    series: list[SeriesRun]

    @classmethod
    def of(cls, report: ForecastReport) -> ForecastRun:
        """Return the model of a `ForecastReport`."""
        return cls(
            name=report.name,
            table=report.table,
            metrics_table=report.metrics_table,
            inputs={key: _text(value) for key, value in report.inputs.items()},
            snapshot=_text(report.snapshot_id),
            rows=report.rows,
            strategy=report.strategy,
            strategy_scores={k: _finite(v) for k, v in report.strategy_scores.items()},
            seconds=round(report.seconds, 3),
            series=[
                SeriesRun(
                    ids=_plain_ids(one.ids),
                    model=one.model,
                    smape=_finite(one.smape),
                    mase=_finite(one.mase),
                    windows=one.windows,
                    notes=one.notes,
                )
                for one in report.series
            ],
        )


class Anomaly(BaseModel):
    """One incident of `analytics.anomalies`."""

    incident_id: str
    rule: str
    rule_name: str
    table_name: str
    entity: str
    ids: str | None
    ts: datetime | None
    ts_end: datetime | None
    value: float | None
    expected: float | None
    deviation: float | None
    severity: str
    detail: str | None
    detected_at: datetime | None
    last_seen_at: datetime | None
    run_id: str | None


class AnomalyCount(BaseModel):
    """How many incidents one rule found at one severity."""

    rule_name: str
    table_name: str
    severity: str
    count: int


class AnomalyDay(BaseModel):
    """How many incidents start on one day, at one severity."""

    day: date
    severity: str
    count: int


class Anomalies(BaseModel):
    """The anomalies that match the filters: how many, counts, per day, the latest rows."""

    total: int
    counts: list[AnomalyCount]
    by_day: list[AnomalyDay]
    rows: list[Anomaly]
    truncated: bool


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of forecasts and anomalies over `lh`."""
    routes = APIRouter(tags=["analysis"])

    @routes.get("/api/forecasts", summary="Declared forecasts and the forecast tables made")
    def list_forecasts() -> list[ForecastSummary]:
        return [summary(lh, queries, name) for name in forecast_names(lh)]

    @routes.get(
        "/api/forecasts/{name}",
        summary="A forecast's rows, backtest metrics and history (of one series with ?series=)",
        responses={404: {"description": "No such forecast"}},
    )
    def get_forecast(
        name: str,
        series: Annotated[
            str | None, Query(description="A series: its id values joined by ' / '.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 10_000,
    ) -> ForecastDetail:
        return detail(lh, queries, known_forecast(lh, name), series, limit)

    @routes.post(
        "/api/forecasts/{name}",
        summary="Run a forecast now: the declared one, or one described in the body",
        responses={404: {"description": "Not declared and no body"}},
    )
    def run_forecast(name: str, request: ForecastRequest | None = None) -> ForecastRun:
        config = run_config(lh, name, request)
        from lakebox.analysis.forecast.run import forecast

        with queries.lock:
            return ForecastRun.of(forecast(lh, config))

    @routes.get("/api/anomalies", summary="Stored anomalies (analytics.anomalies), filtered")
    def list_anomalies(
        rule: Annotated[str | None, Query(description="A rule's name or kind.")] = None,
        severity: Severity | None = None,
        entity: Annotated[str | None, Query(description="Text in the entity.")] = None,
        since: Annotated[date | None, Query(description="Ending on or after this day.")] = None,
        until: Annotated[date | None, Query(description="Starting on or before this day.")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1_000,
    ) -> Anomalies:
        filters = AnomalyFilters(rule, severity, entity, since, until)
        return anomalies(lh, queries, filters, limit)

    return routes


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


def table_refs(name: str) -> tuple[TableRef, TableRef]:
    """Return the forecast table and the metrics table of forecast `name`."""
    return TableRef("analytics", f"forecast_{name}"), TableRef(
        "analytics", f"forecast_{name}_metrics"
    )


def known_forecast(lh: Lakehouse, name: str) -> str:
    """Return `name` if it is a declared or made forecast, else raise CatalogError (a 404)."""
    if name not in forecast_names(lh):
        raise CatalogError(
            f"no forecast {name!r}",
            hint="list them with GET /api/forecasts; declare one under 'forecasts:' in "
            "lakebox.yaml and run it with 'lakebox forecast NAME'",
        )
    return name


def summary(lh: Lakehouse, queries: QueryService, name: str) -> ForecastSummary:
    """Return what is known of forecast `name`: its declaration and its table's state."""
    config = lh.config.forecasts.get(name)
    ref = table_refs(name)[0]
    exists = _made_by(lh, ref) == name
    ids = id_columns(lh, ref) if exists else list(config.ids if config else [])
    stats = _stats(queries, ref, ids) if exists else {}
    snapshot = lh.catalog.summary(ref)["snapshot_id"] if exists else None
    return ForecastSummary(
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
        snapshot=_text(snapshot),
    )


def id_columns(lh: Lakehouse, ref: TableRef) -> list[str]:
    """Return a forecast table's id columns: those that are not its time, values or bounds."""
    return [column for column in _columns(lh, ref) if not _is_forecast_column(column)]


def _columns(lh: Lakehouse, ref: TableRef) -> list[str]:
    table = lh.catalog.load(ref)
    return [field.name for field in table.schema().fields] if table is not None else []


def _is_forecast_column(column: str) -> bool:
    return _is_bound(column) or column in FIXED_COLUMNS


def _stats(queries: QueryService, ref: TableRef, ids: list[str]) -> dict[str, Any]:
    found = queries.catalog(
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


def detail(
    lh: Lakehouse, queries: QueryService, name: str, series: str | None, limit: int
) -> ForecastDetail:
    """Return forecast `name`'s rows, metrics and history (of `series` only, when given)."""
    about = summary(lh, queries, name)
    config = lh.config.forecasts.get(name)
    if not about.exists:
        levels = config.levels if config else []
        note = f"not made yet: run it with POST /api/forecasts/{name} or 'lakebox forecast {name}'"
        return ForecastDetail(
            summary=about,
            levels=levels,
            series=[],
            rows=[],
            metrics=[],
            history=[],
            history_note=note,
            truncated=False,
        )
    ref, metrics_ref = table_refs(name)
    points, truncated = forecast_points(queries, ref, about.ids, series, limit)
    history, note = actuals(queries, config, series, limit)
    return ForecastDetail(
        summary=about,
        levels=_levels(_columns(lh, ref)),
        series=series_entries(queries, ref, about.ids),
        rows=points,
        metrics=candidate_metrics(lh, queries, metrics_ref, about.ids, series),
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


def forecast_points(
    queries: QueryService, ref: TableRef, ids: list[str], series: str | None, limit: int
) -> tuple[list[ForecastPoint], bool]:
    """Return the forecast's rows (of `series`), by series and time, and whether cut at `limit`."""
    where, parameters = _where_series(ids, series)
    found = queries.catalog(
        f"SELECT {series_key(ids)} AS _series, * FROM {_quoted(ref)} {where} "
        f"ORDER BY _series, ds LIMIT {int(limit) + 1}",
        parameters,
    ).to_pylist()
    points = [_point(row, ids) for row in found[:limit]]
    return points, len(found) > limit


def _point(row: dict[str, Any], ids: list[str]) -> ForecastPoint:
    bounds = {column: _finite(value) for column, value in row.items() if _is_bound(column)}
    return ForecastPoint(
        series=row["_series"],
        ids=_plain_ids({column: row[column] for column in ids}),
        ds=_iso(row["ds"]),
        forecast=_finite(row["forecast"]),
        bounds=bounds,
        model=row["model"] or "",
    )


def _is_bound(column: str) -> bool:
    return column.startswith(("lo_", "hi_")) and column[3:].isdigit()


def series_entries(queries: QueryService, ref: TableRef, ids: list[str]) -> list[SeriesEntry]:
    """Return every series of a forecast table, by key, with its model."""
    columns = "".join(f", {quote_identifier(column)}" for column in ids)
    found = queries.catalog(
        f"SELECT DISTINCT {series_key(ids)} AS _series{columns}, model FROM {_quoted(ref)} "
        "ORDER BY _series"
    ).to_pylist()
    return [
        SeriesEntry(
            series=row["_series"],
            ids=_plain_ids({column: row[column] for column in ids}),
            model=row["model"] or "",
        )
        for row in found
    ]


def candidate_metrics(
    lh: Lakehouse, queries: QueryService, ref: TableRef, ids: list[str], series: str | None
) -> list[CandidateMetrics]:
    """Return every candidate's backtest sMAPE and MASE (of `series`), best MASE first."""
    if ref not in lh.catalog.metadata_locations():
        return []
    where, parameters = _where_series(ids, series)
    found = queries.catalog(
        f"SELECT {series_key(ids)} AS _series, * FROM {_quoted(ref)} {where} "
        "ORDER BY _series, mase NULLS LAST, model",
        parameters,
    ).to_pylist()
    return [
        CandidateMetrics(
            series=row["_series"],
            ids=_plain_ids({column: row[column] for column in ids}),
            model=row["model"],
            smape=_finite(row["smape"]),
            mase=_finite(row["mase"]),
            chosen=bool(row["chosen"]),
            windows=row.get("windows"),
            note=row.get("note"),
        )
        for row in found
    ]


def actuals(
    queries: QueryService, config: ForecastConfig | None, series: str | None, limit: int
) -> tuple[list[HistoryPoint], str | None]:
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
        found = queries.catalog(sql, [series]).to_pylist()
    except LakeboxError as error:
        return [], f"cannot read the history from {config.source}: {error.message}"
    return [HistoryPoint(ds=_iso(row["ds"]), value=_finite(row["value"])) for row in found], None


def run_config(lh: Lakehouse, name: str, request: ForecastRequest | None) -> ForecastConfig:
    """Return the config to run: the declared forecast `name`, or the one `request` gives."""
    try:
        forecast_name(name)
    except ValueError as error:
        raise ConfigError(str(error), hint="e.g. POST /api/forecasts/materials") from None
    declared = lh.config.forecasts.get(name)
    if request is None:
        if declared is None:
            raise CatalogError(
                f"no forecast {name!r} is declared in lakebox.yaml",
                hint="declare it under 'forecasts:' (docs/forecasting.md), or send a body "
                "with table, ids, time, value, freq and horizon",
            )
        return declared.named(name)
    if declared is not None:
        raise ConfigError(
            f"forecast {name!r} is declared in lakebox.yaml: POST it without a body to run it",
            hint="give the forecast in the body another name",
        )
    config = _validated(name, request)
    _check_input(lh, config)
    return config


def _validated(name: str, request: ForecastRequest) -> ForecastConfig:
    try:
        return ForecastConfig.model_validate(
            {"name": name, **request.model_dump(exclude_none=True)}
        )
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{field}: {message}", field=field) from None


def _check_input(lh: Lakehouse, config: ForecastConfig) -> None:
    """Raise unless the config's table exists with its time, value and id columns."""
    zone, _, table = (config.table or "").partition(".")
    ref = TableRef(zone, table)
    if ref not in lh.catalog.metadata_locations():
        raise CatalogError(f"no table {ref.identifier!r}", hint="list them with GET /api/tables")
    fields = {field.name: field.field_type for field in lh.catalog.load(ref).schema().fields}
    for column in (*config.ids, config.time, config.value):
        if column not in fields:
            raise AnalysisError(
                f"{ref.identifier} has no column {column!r}",
                hint=f"its columns: {', '.join(fields)}",
                table=ref.identifier,
            )
    if not _is_numeric(fields[config.value]):
        raise AnalysisError(f"{ref.identifier}.{config.value} is not a number column")
    if not _is_time(fields[config.time]):
        raise AnalysisError(f"{ref.identifier}.{config.time} is not a date or timestamp column")


def _is_numeric(kind: object) -> bool:
    return str(kind).split("(")[0] in ("int", "long", "float", "double", "decimal")


def _is_time(kind: object) -> bool:
    return str(kind) in ("date", "timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns")


@dataclass(frozen=True)
class AnomalyFilters:
    """Which anomalies to show: a rule (name or kind), a severity, text in the entity, days."""

    rule: str | None = None
    severity: str | None = None
    entity: str | None = None
    since: date | None = None
    until: date | None = None

    def where(self) -> tuple[str, list[object]]:
        """Return the filters as a SQL condition and its parameters."""
        given = [
            ("(rule_name = ? OR rule = ?)", [self.rule, self.rule], self.rule),
            ("severity = ?", [self.severity], self.severity),
            ("contains(lower(entity), lower(?))", [self.entity], self.entity),
            ("CAST(ts_end AS DATE) >= ?", [self.since], self.since),
            ("CAST(ts AS DATE) <= ?", [self.until], self.until),
        ]
        chosen = [(sql, values) for sql, values, value in given if value]
        condition = " AND ".join(sql for sql, _ in chosen) or "TRUE"
        return condition, [value for _, values in chosen for value in values]


def anomalies(
    lh: Lakehouse, queries: QueryService, filters: AnomalyFilters, limit: int
) -> Anomalies:
    """Return the stored anomalies matching `filters`: counts, per day, the latest `limit`."""
    if ANOMALIES not in lh.catalog.metadata_locations():
        return Anomalies(total=0, counts=[], by_day=[], rows=[], truncated=False)
    where, parameters = filters.where()
    counts = queries.catalog(
        "SELECT rule_name, table_name, severity, count(*) AS count FROM analytics.anomalies "
        f"WHERE {where} GROUP BY rule_name, table_name, severity "
        f"ORDER BY rule_name, {SEVERITY_ORDER}",
        parameters,
    ).to_pylist()
    days = queries.catalog(
        "SELECT CAST(ts AS DATE) AS day, severity, count(*) AS count FROM analytics.anomalies "
        f"WHERE {where} GROUP BY day, severity ORDER BY day, {SEVERITY_ORDER}",
        parameters,
    ).to_pylist()
    found = queries.catalog(
        f"SELECT * FROM analytics.anomalies WHERE {where} "
        f"ORDER BY ts DESC, {SEVERITY_ORDER}, rule_name, entity LIMIT {int(limit) + 1}",
        parameters,
    ).to_pylist()
    return Anomalies(
        total=sum(count["count"] for count in counts),
        counts=[AnomalyCount(**count) for count in counts],
        by_day=[AnomalyDay(**day) for day in days],
        rows=[_anomaly(row) for row in found[:limit]],
        truncated=len(found) > limit,
    )


SEVERITY_ORDER = "list_position(['critical', 'warn', 'info'], severity)"


def _anomaly(row: dict[str, Any]) -> Anomaly:
    numbers = {key: _finite(row.get(key)) for key in ("value", "expected", "deviation")}
    return Anomaly.model_validate({**row, **numbers})


def _quoted(ref: TableRef) -> str:
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"


def _finite(value: object) -> float | None:
    """Return `value` as a float, or None when it is missing, NaN or infinite (not JSON)."""
    if value is None or isinstance(value, bool):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _text(value: int | None) -> str | None:
    """Return a 64-bit id as text: JavaScript's numbers lose its last digits."""
    return None if value is None else str(value)


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _plain_ids(ids: dict[str, Any]) -> dict[str, Any]:
    """Return id values as JSON values: text, numbers and booleans kept, the rest as text."""
    return {
        key: value if value is None or isinstance(value, str | int | float | bool) else _iso(value)
        for key, value in ids.items()
    }
