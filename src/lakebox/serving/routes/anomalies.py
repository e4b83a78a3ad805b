"""The anomalies endpoint: the incidents stored in `analytics.anomalies`, filtered, with counts
per rule and per day (see `lakebox.analysis.anomalies.reader`), read as the user's own SQL
would read them (their grant on `analytics.anomalies`, masks and row filters apply)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from lakebox.analysis.anomalies.reader import AnomalyFilters, anomalies
from lakebox.analysis.anomalies.store import ANOMALIES
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.grants import reading, refuse_unreadable
from lakebox.serving.routes.forecasts import MAX_ROWS

router = APIRouter(tags=["analysis"])
Severity = Literal["info", "warn", "critical"]


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


@router.get("/api/anomalies", summary="Stored anomalies (analytics.anomalies), filtered")
def list_anomalies(
    lh: LakehouseDep,
    queries: QueriesDep,
    rule: Annotated[str | None, Query(description="A rule's name or kind.")] = None,
    severity: Severity | None = None,
    entity: Annotated[str | None, Query(description="Text in the entity.")] = None,
    since: Annotated[date | None, Query(description="Ending on or after this day.")] = None,
    until: Annotated[date | None, Query(description="Starting on or before this day.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1_000,
) -> Anomalies:
    filters = AnomalyFilters(rule, severity, entity, since, until)
    refuse_unreadable(queries, ANOMALIES)
    return Anomalies.model_validate(vars(anomalies(lh, reading(queries), filters, limit)))
