"""The runs: `ops.runs` as a chart of durations and a table filtered by pipeline and status,
and a page per run with its steps from `ops.step_runs` and a timeline of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.errors import CatalogError
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import history
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.pages.grants import first_refusal, refused
from lakebox.serving.ui.templating import project, render

LATEST = 200
STATUSES = ("ok", "failed")
MEBIBYTE = 1024 * 1024


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/runs")
def runs(
    request: Request,
    lh: LakehouseDep,
    queries: QueriesDep,
    who: PrincipalDep,
    pipeline: str = "",
    status: str = "",
) -> HTMLResponse:
    refusal = first_refusal(lh, who, [history.RUNS])
    if refusal is not None:
        return refused(request, lh, refusal, "runs")
    with queries.lock:
        latest = history.recent(lh, LATEST)
        found = _pipelines(lh)
    shown = filtered(latest, pipeline, status)
    return render(
        request,
        "runs.html",
        "runs",
        runs=[with_memory(run) for run in shown],
        recorded=bool(latest),
        pipelines=found,
        choices=choices(latest, pipeline, status),
        chosen={"pipeline": pipeline, "status": status},
        chart=[chart_point(run) for run in shown],
        latest=LATEST,
        may_run=who.can("runs"),
        **project(lh),
    )


@router.get("/runs/{run_id}")
def run(
    request: Request, run_id: str, lh: LakehouseDep, queries: QueriesDep, who: PrincipalDep
) -> HTMLResponse:
    refusal = first_refusal(lh, who, [history.RUNS, history.STEP_RUNS])
    if refusal is not None:
        return refused(request, lh, refusal, "runs")
    found = find_run(lh, queries, run_id)
    if found is None:
        error = unknown_run(run_id)
        return render(request, "missing.html", "runs", error=error, status_code=404, **project(lh))
    with queries.lock:
        steps = history.run_steps(lh, run_id)
    return render(
        request,
        "run.html",
        "runs",
        run=with_memory(found),
        steps=steps,
        timeline=[timeline_bar(step) for step in steps],
        **project(lh),
    )


def _pipelines(lh: Lakehouse) -> list[dict[str, Any]]:
    """Return the pipelines to show above the runs: name, description, steps, schedule,
    when it is next due and how its latest run went."""
    from dataclasses import asdict

    from lakebox.orchestration.overview import pipelines

    return [asdict(status) for status in pipelines(lh)]


def filtered(runs: list[dict[str, Any]], pipeline: str, status: str) -> list[dict[str, Any]]:
    """Return the runs of `pipeline` with `status` (either empty: any)."""
    return [
        run for run in runs if pipeline in ("", run["pipeline"]) and status in ("", run["status"])
    ]


def choices(runs: list[dict[str, Any]], pipeline: str, status: str) -> dict[str, list[str]]:
    """Return the pipelines and statuses to filter by: those seen, the usual and the chosen."""
    pipelines = {run["pipeline"] for run in runs} | ({pipeline} if pipeline else set())
    statuses = {run["status"] for run in runs} | set(STATUSES) | ({status} if status else set())
    return {"pipelines": sorted(pipelines), "statuses": sorted(statuses)}


def with_memory(run: dict[str, Any]) -> dict[str, Any]:
    """Return `run` with its peak memory in MiB (`peak_memory_mib`, None when unknown)."""
    peak = run.get("peak_memory_bytes")
    return {**run, "peak_memory_mib": None if peak is None else round(peak / MEBIBYTE, 1)}


def chart_point(run: dict[str, Any]) -> dict[str, Any]:
    """Return what the durations chart plots of `run`."""
    return {
        "run_id": run["run_id"],
        "pipeline": run["pipeline"],
        "status": run["status"],
        "started_at": plotly_time(run["started_at"]),
        "seconds": run["seconds"],
    }


def timeline_bar(step: dict[str, Any]) -> dict[str, Any]:
    """Return what the steps timeline draws of `step`: from its start, for its duration."""
    return {
        "step": step["step"],
        "status": step["status"],
        "start": plotly_time(step["started_at"]),
        "milliseconds": round((step["seconds"] or 0.0) * 1000, 3),
        "seconds": step["seconds"],
    }


def plotly_time(moment: datetime | None) -> str | None:
    """Return `moment` as Plotly reads dates: UTC, without a zone suffix."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def find_run(lh: Lakehouse, queries: QueryService, run_id: str) -> dict[str, Any] | None:
    """Return the row of run `run_id` in `ops.runs`, or None."""
    if history.RUNS not in lh.catalog.metadata_locations():
        return None
    rows = queries.catalog(
        f"SELECT * FROM {history.RUNS.identifier} WHERE run_id = ? LIMIT 1", [run_id]
    ).to_pylist()
    return rows[0] if rows else None


def unknown_run(run_id: str) -> CatalogError:
    """Return the error shown for a run id that `ops.runs` does not hold."""
    return CatalogError(
        f"no run {run_id!r} in ops.runs",
        hint="pick a run on the runs page (/runs) or list them with `lakebox runs`",
    )
