"""The forecast endpoints: declared forecasts and their tables, a forecast's rows, backtest
metrics and history, and running a forecast now (see `lakebox.analysis.forecast.reader`).

A user sees the forecasts whose table (`analytics.forecast_<name>`) they may read, read as
their own SQL would (masks and row filters apply; the history as their grants on the input
allow). Running one needs the ability `train` and a grant of all of its input: it learns
from every row."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from lakebox.analysis.forecast import reader
from lakebox.analysis.forecast.reader import finite, plain_ids, text_id
from lakebox.analysis.forecast.requested import run_config
from lakebox.analysis.forecast.tables import table_refs
from lakebox.catalog import TableRef
from lakebox.serving.dependencies import LakehouseDep, QueriesDep, require_ability
from lakebox.serving.grants import reading, record, refuse_unreadable, require_whole
from lakebox.serving.queries import QueryService

if TYPE_CHECKING:
    from lakebox.analysis.forecast.run import ForecastReport
    from lakebox.config.forecasts import ForecastConfig

router = APIRouter(tags=["analysis"])
MAX_ROWS = 100_000


class ForecastSummary(BaseModel, from_attributes=True):
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


class ForecastPoint(BaseModel, from_attributes=True):
    """One step ahead of one series: the point forecast and its interval bounds."""

    series: str
    ids: dict[str, Any]
    ds: str
    forecast: float | None
    bounds: dict[str, float | None] = Field(description="lo_80, hi_80, lo_95, hi_95 …")
    model: str


class CandidateMetrics(BaseModel, from_attributes=True):
    """One candidate's backtest on one series; `chosen` marks the one that forecasts."""

    series: str
    ids: dict[str, Any]
    model: str
    smape: float | None
    mase: float | None
    chosen: bool
    windows: int | None
    note: str | None


class HistoryPoint(BaseModel, from_attributes=True):
    """One actual value of the series, from the forecast's input table."""

    ds: str
    value: float | None


class SeriesEntry(BaseModel, from_attributes=True):
    """One series of a forecast: its key (the id values joined by ' / ') and its model."""

    series: str
    ids: dict[str, Any]
    model: str


class ForecastDetail(BaseModel, from_attributes=True):
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
            inputs={key: text_id(value) for key, value in report.inputs.items()},
            snapshot=text_id(report.snapshot_id),
            rows=report.rows,
            strategy=report.strategy,
            strategy_scores={k: finite(v) for k, v in report.strategy_scores.items()},
            seconds=round(report.seconds, 3),
            series=[
                SeriesRun(
                    ids=plain_ids(one.ids),
                    model=one.model,
                    smape=finite(one.smape),
                    mase=finite(one.mase),
                    windows=one.windows,
                    notes=one.notes,
                )
                for one in report.series
            ],
        )


@router.get("/api/forecasts", summary="Declared forecasts and the forecast tables made")
def list_forecasts(lh: LakehouseDep, queries: QueriesDep) -> list[ForecastSummary]:
    read = reading(queries)
    names = [name for name in reader.forecast_names(lh) if _visible(queries, name)]
    return [ForecastSummary.model_validate(reader.summary(lh, read, name)) for name in names]


@router.get(
    "/api/forecasts/{name}",
    summary="A forecast's rows, backtest metrics and history (of one series with ?series=)",
    responses={404: {"description": "No such forecast"}},
)
def get_forecast(
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    series: Annotated[
        str | None, Query(description="A series: its id values joined by ' / '.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 10_000,
) -> ForecastDetail:
    known = reader.known_forecast(lh, name)
    refuse_unreadable(queries, table_refs(known)[0])
    found = reader.contents(lh, reading(queries), known, series, limit)
    return ForecastDetail.model_validate(found)


@router.post(
    "/api/forecasts/{name}",
    summary="Run a forecast now: the declared one, or one described in the body",
    dependencies=[Depends(require_ability("train"))],
    responses={404: {"description": "Not declared and no body"}},
)
def run_forecast(
    name: str, lh: LakehouseDep, queries: QueriesDep, request: ForecastRequest | None = None
) -> ForecastRun:
    given = request.model_dump(exclude_none=True) if request is not None else None
    config = run_config(lh, name, given)
    inputs = _inputs(queries, config)
    require_whole(queries, *inputs)
    from lakebox.analysis.forecast.run import forecast

    record(queries, "run", [ref.identifier for ref in inputs], detail=f"forecast {name}")
    with queries.lock:
        return ForecastRun.of(forecast(lh, config))


def _inputs(queries: QueryService, config: ForecastConfig) -> list[TableRef]:
    """Return the tables a forecast reads: its table, or those its SQL reads."""
    if config.table is not None:
        return [TableRef(*config.table.split(".", 1))]
    if not queries.principal.restricted or config.sql is None:
        return []
    checked = queries.check(config.sql, ability=None, action="run")
    return [TableRef(*table.split(".", 1)) for table in checked.reads]


def _visible(queries: QueryService, name: str) -> bool:
    """Whether the user may read forecast `name`'s table."""
    ref = table_refs(name)[0]
    return queries.principal.may_read_table(ref.zone, ref.name)
