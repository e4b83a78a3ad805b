"""The UI's dashboards, declared in the project's `dashboards/*.yaml`: the listing and the
dashboard pages, and the JSON/CSV endpoints the pages draw from (in the OpenAPI schema).

Filter values come as query parameters (`store=BCN-01&weekday=1&weekday=2&dates_from=…`);
they reach SQL only as bound parameters (see `lakebox.serving.dashboards.queries`).

Every chart and filter runs as the viewing user (see `lakebox.serving.dashboards.running`): a
chart over a table they may not read answers 403 alone (the page shows why in its place), and
a CSV file is audited as a download.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from lakebox.errors import LakeboxError
from lakebox.serving.dashboards import (
    FOLDER,
    BoundQuery,
    Dashboard,
    DashboardFolder,
    Entry,
    resolve,
)
from lakebox.serving.dashboards.filters import FilterState, Resolved
from lakebox.serving.dashboards.queries import bind
from lakebox.serving.dashboards.running import run_chart, runner
from lakebox.serving.dependencies import QueriesDep
from lakebox.serving.encoding import csv_download, json_numbers
from lakebox.serving.queries import QueryResult, QueryService
from lakebox.serving.ui.templating import render

# Query parameters that are never filter values.
NOT_FILTERS = frozenset({"format", "tab", "token"})
Name = Annotated[str, Path(description="The dashboard's name: its file's stem.")]


class DashboardSummary(BaseModel):
    """A dashboard file: its title, or why it cannot be shown."""

    name: str
    file: str
    title: str | None = None
    description: str | None = None
    charts: int = 0
    error: str | None = None


class TabView(BaseModel):
    """A tab of a dashboard."""

    name: str
    title: str


class ChartView(BaseModel):
    """A chart as the page draws it (its SQL stays on the server)."""

    name: str
    kind: str
    title: str
    description: str | None = None
    tab: str | None = None
    x: str | None = None
    y: list[str] = []
    series: str | None = None
    value: str | None = None
    unit: str | None = None
    width: str = "full"


class DashboardView(BaseModel):
    """A dashboard with its filters resolved for the request's values."""

    name: str
    title: str
    description: str | None = None
    filters: list[FilterState]
    tabs: list[TabView]
    charts: list[ChartView]


class ColumnView(BaseModel):
    """A result column."""

    name: str
    type: str


class ChartData(BaseModel):
    """A chart's rows for the request's filter values."""

    chart: str
    kind: str
    columns: list[ColumnView]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool
    seconds: float
    sql: str
    parameters: dict[str, Any]


router = APIRouter()


def dashboard_folder(request: Request) -> DashboardFolder:
    """Return the app's dashboards folder (re-read when a file changes)."""
    folder: DashboardFolder = request.app.state.dashboards
    return folder


FolderDep = Annotated[DashboardFolder, Depends(dashboard_folder)]


@router.get("/dashboards", include_in_schema=False, response_class=HTMLResponse)
def listing(request: Request, folder: FolderDep) -> HTMLResponse:
    boards = [_summary(entry) for entry in folder.entries()]
    return render(request, "dashboards.html", "dashboards", dashboards=boards)


@router.get("/dashboards/{name}", include_in_schema=False, response_class=HTMLResponse)
def page(request: Request, name: str, folder: FolderDep, queries: QueriesDep) -> HTMLResponse:
    entry = folder.get(name)
    if entry is None:
        raise HTTPException(404, detail=f"no dashboard {name!r} in {FOLDER}/")
    if entry.dashboard is None:
        return render(request, "dashboard.html", "dashboards", 422, name=name, error=entry.error)
    try:
        view = _view(entry, entry.dashboard, _resolved(entry.dashboard, request, queries))
    except LakeboxError as error:  # e.g. a filter's options SQL names a missing table
        return render(request, "dashboard.html", "dashboards", 400, name=name, error=error)
    return render(
        request, "dashboard.html", "dashboards", name=name, board=view.model_dump(), error=None
    )


@router.get("/api/dashboards", summary="The project's dashboards, with any YAML errors")
def dashboards(folder: FolderDep) -> list[DashboardSummary]:
    return [_summary(entry) for entry in folder.entries()]


@router.get(
    "/api/dashboards/{name}",
    summary="A dashboard: its filters resolved for the given values, tabs and charts",
    description="Filter values are query parameters, as in the chart endpoint; a value "
    "a filter does not allow falls back to its default.",
    responses={404: {"description": "No such dashboard"}, 422: {"description": "Bad YAML"}},
)
def dashboard(
    name: Name, request: Request, folder: FolderDep, queries: QueriesDep
) -> DashboardView:
    entry, board = _usable(folder, name)
    return _view(entry, board, _resolved(board, request, queries))


@router.get(
    "/api/dashboards/{name}/charts/{chart}",
    summary="A chart's rows (JSON or CSV) for the given filter values",
    description="Filter values are query parameters: `store=BCN-01` (select; empty for "
    "its 'all' choice), `weekday=1&weekday=2` (multi-select; `weekday=` for none), "
    "`dates_from=2025-06-01&dates_to=2025-06-14` (date range), `hours_from=8&hours_to=20` "
    "(hour range), `grain=daily` (resolution). A value a filter does not allow is an error.",
    response_model=ChartData,
    responses={
        200: {"content": {"text/csv": {}}},
        400: {"description": "A filter value is not allowed, or the SQL failed"},
        404: {"description": "No such dashboard or chart"},
        422: {"description": "The dashboard's YAML is invalid"},
    },
)
def chart(
    name: Name,
    chart: Annotated[str, Path(description="The chart's name in the YAML.")],
    request: Request,
    folder: FolderDep,
    queries: QueriesDep,
    format: Annotated[
        Literal["json", "csv", "csv_raw"],
        Query(
            description="json, csv (safe to open in a spreadsheet: a text cell starting "
            "with = + - @, a tab or a carriage return is led by a single quote) or csv_raw "
            "(every value as it is)"
        ),
    ] = "json",
) -> Response:
    _, board = _usable(folder, name)
    declared = board.charts.get(chart)
    if declared is None:
        raise HTTPException(404, detail=f"dashboard {name!r} has no chart {chart!r}")
    resolved = _resolved(board, request, queries, strict=True)
    bound = bind(declared.sql, resolved.choices, resolved.parameters)
    action = "query" if format == "json" else "download"
    result = run_chart(queries, bound, declared.limit, action)
    if format != "json":
        return csv_download(result, f"{name}-{chart}.csv", raw=format == "csv_raw")
    return JSONResponse(_chart_data(chart, declared.kind, bound, result))


def _usable(folder: DashboardFolder, name: str) -> tuple[Entry, Dashboard]:
    entry = folder.get(name)
    if entry is None:
        raise HTTPException(404, detail=f"no dashboard {name!r} in {FOLDER}/")
    if entry.dashboard is None:
        error = entry.error
        raise HTTPException(422, detail=error.message if error else "invalid dashboard")
    return entry, entry.dashboard


def _resolved(
    board: Dashboard, request: Request, queries: QueryService, strict: bool = False
) -> Resolved:
    raw: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key not in NOT_FILTERS:
            raw.setdefault(key, []).append(value)
    return resolve(board.filters, raw, runner(queries), strict)


def _summary(entry: Entry) -> DashboardSummary:
    board = entry.dashboard
    return DashboardSummary(
        name=entry.name,
        file=f"{FOLDER}/{entry.path.name}",
        title=board.title if board else None,
        description=board.description if board else None,
        charts=len(board.charts) if board else 0,
        error=str(entry.error) if entry.error else None,
    )


def _view(entry: Entry, board: Dashboard, resolved: Resolved) -> DashboardView:
    charts = [
        ChartView(
            name=name,
            kind=chart.kind,
            title=chart.title or name.replace("_", " ").replace("-", " ").capitalize(),
            description=chart.description,
            tab=board.tab_of(chart),
            x=chart.x,
            y=chart.y,
            series=chart.series,
            value=chart.value,
            unit=chart.unit,
            width=chart.width,
        )
        for name, chart in board.charts.items()
    ]
    return DashboardView(
        name=entry.name,
        title=board.title,
        description=board.description,
        filters=resolved.states,
        tabs=[TabView(name=name, title=title) for name, title in board.tabs.items()],
        charts=charts,
    )


def _chart_data(name: str, kind: str, bound: BoundQuery, result: QueryResult) -> dict[str, Any]:
    return {
        "chart": name,
        "kind": kind,
        "columns": [{"name": f.name, "type": str(f.type)} for f in result.table.schema],
        "rows": json_numbers(result.table.to_pylist()),
        "row_count": result.table.num_rows,
        "truncated": result.truncated,
        "seconds": round(result.seconds, 3),
        "sql": bound.sql,
        "parameters": json_numbers(bound.parameters),
    }
