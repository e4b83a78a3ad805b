"""The pipeline endpoints: the pipelines with their schedule and latest
run, and starting a run now (a process of its own, as the scheduler starts one).

Listing them needs a grant of all of ops.runs (their latest runs); starting a run needs the
ability `runs` and is audited as a "run".

Starting a run needs a JSON body (FastAPI refuses another content type with 422): a browser
sends JSON across sites only after a CORS preflight, which this server never answers, so
another site cannot start runs."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lakebox.errors import LakeboxError, RunLocked
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration import launcher
from lakebox.orchestration.history import DEFAULT_PIPELINE, RUNS
from lakebox.orchestration.lock import PipelineLock
from lakebox.orchestration.overview import PipelineStatus, pipelines
from lakebox.orchestration.pipeline import pipeline_config, units_of
from lakebox.serving.dependencies import LakehouseDep, QueriesDep, require_ability
from lakebox.serving.grants import record, require_whole


class RunRequest(BaseModel):
    """Which steps to run (`--select`; none: every step) and whether to rebuild all."""

    select: list[str] = Field(default_factory=list, max_length=100)
    full_refresh: bool = False


class StartedRun(BaseModel):
    """A run started in a process of its own; it shows in /api/runs once it ends."""

    pipeline: str
    pid: int
    log: str


router = APIRouter(tags=["pipelines"])


@router.get("/api/pipelines", summary="The pipelines, their schedules and latest runs")
def listed(lh: LakehouseDep, queries: QueriesDep) -> list[PipelineStatus]:
    require_whole(queries, RUNS)
    with lh.engine.lock:
        return pipelines(lh)


@router.post(
    "/api/pipelines/{name}/runs",
    status_code=202,
    response_model=StartedRun,
    summary="Start a run of the pipeline now, in a process of its own",
    dependencies=[Depends(require_ability("runs"))],
    responses={
        400: {"description": "a selection the pipeline cannot run"},
        404: {"description": "no such pipeline"},
        409: {"description": "the pipeline is running"},
    },
)
def start(name: str, body: RunRequest, lh: LakehouseDep, queries: QueriesDep) -> Any:
    refused = _refusal(lh, name, body)
    if refused is not None:
        return refused
    record(queries, "run", [], detail=f"started pipeline {name}")
    arguments = ["run", "--pipeline", name, "--quiet"]
    arguments += [f"--select={selector}" for selector in body.select]
    arguments += ["--full-refresh"] if body.full_refresh else []
    process = launcher.start(lh.project_dir, name, arguments)
    threading.Thread(target=process.wait, name="lakebox-run-reaper", daemon=True).start()
    log = launcher.log_path(lh.project_dir, name).relative_to(lh.project_dir)
    return StartedRun(pipeline=name, pid=process.pid, log=str(log))


def _refusal(lh: Lakehouse, name: str, body: RunRequest) -> JSONResponse | None:
    """Return why the run cannot start (404 unknown pipeline, 400 a selection it cannot
    run, 409 already running), or None."""
    if name != DEFAULT_PIPELINE and name not in lh.config.pipelines:
        known = ", ".join(sorted(lh.config.pipelines)) or "none declared"
        return _answer(404, f"no pipeline named {name!r} (pipelines: {known})")
    try:
        units_of(lh, pipeline_config(lh, name), body.select or None)
        with PipelineLock(lh, name, wait=False):
            pass
    except RunLocked as error:
        return _answer(409, error.message, error.hint)
    except LakeboxError as error:
        return _answer(400, error.message, error.hint)
    return None


def _answer(status: int, error: str, hint: str | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "hint": hint}, status_code=status)
