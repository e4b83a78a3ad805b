"""The runs endpoint: recent pipeline runs (`ops.runs`), check runs (`ops.check_results`) and
landed batches (the landing manifest), newest first — for a user who reads those three
tables whole."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from lakebox.catalog import TableRef
from lakebox.lakehouse import Lakehouse
from lakebox.quality.check_runs import recent_check_runs
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.grants import require_whole
from lakebox.serving.queries import QueryService

router = APIRouter()
MANIFEST = TableRef("landing", "manifest")
RUNS_NOTE = (
    "Pipeline runs from ops.runs (every run, with its steps, on the Runs page), the check "
    "runs recorded in ops.check_results and the batches recorded in landing.manifest."
)


class CheckRun(BaseModel):
    """One run's checks, as recorded in ops.check_results."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    tables: int
    checks: int
    passed: int
    warned: int
    failed: int


class LandedBatch(BaseModel):
    """One batch of the landing manifest."""

    batch_id: str
    source: str
    received_at: datetime
    status: str
    rows_read: int | None
    rows_formatted: int | None
    rows_quarantined: int | None
    error: str | None


class PipelineRun(BaseModel):
    """One run of a pipeline, as recorded in ops.runs."""

    run_id: str
    pipeline: str
    command: str
    started_at: datetime
    seconds: float | None
    status: str
    rows_in: int | None
    rows_out: int | None
    error: str | None


class Runs(BaseModel):
    """Recent pipeline runs, check runs and landed batches, newest first."""

    note: str
    runs: list[PipelineRun] = []
    check_runs: list[CheckRun]
    batches: list[LandedBatch]


@router.get(
    "/api/runs",
    summary="Recent runs: pipeline runs (ops.runs), check runs and landed batches",
)
def runs(
    lh: LakehouseDep, queries: QueriesDep, limit: Annotated[int, Query(ge=1, le=1_000)] = 20
) -> Runs:
    return recent_runs(lh, queries, limit)


def recent_runs(lh: Lakehouse, queries: QueryService, limit: int) -> Runs:
    """Return the latest `limit` pipeline runs, check runs and landed batches, newest first;
    refuse (403) a user who does not read ops.runs, ops.check_results and landing.manifest
    whole."""
    from lakebox.orchestration import history
    from lakebox.quality.results import RESULTS

    require_whole(queries, history.RUNS, RESULTS, MANIFEST)
    check_runs = recent_check_runs(lh, queries.catalog, limit)

    entries = lh.manifest.entries()[-limit:]
    with queries.lock:
        pipeline_runs = history.recent(lh, limit)
    return Runs(
        note=RUNS_NOTE,
        runs=[PipelineRun.model_validate(run) for run in pipeline_runs],
        check_runs=[CheckRun(**run) for run in check_runs],
        batches=[LandedBatch.model_validate(vars(entry)) for entry in reversed(entries)],
    )
