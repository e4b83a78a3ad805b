"""The catalog: every zone's tables, and a page per table (columns, profile, sample rows,
snapshot history with time travel, quarantine and check results)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.catalog import TableRef
from lakebox.catalog.summaries import all_tables, known_table, snapshots, table_summary
from lakebox.errors import CatalogError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.queries import QueryService
from lakebox.serving.routes.tables import (
    Profile,
    ProfiledColumn,
    quarantine,
    stored_profile,
    table_columns,
)
from lakebox.serving.ui.pages.overview import latest_checks
from lakebox.serving.ui.templating import project, render

SAMPLE_ROWS = 100
QUARANTINE_ROWS = 50


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/catalog")
def listing(request: Request, lh: LakehouseDep) -> HTMLResponse:
    return render(request, "catalog.html", "catalog", zones=zones(lh), **project(lh))


@router.get("/catalog/{zone}/{name}")
def table(
    request: Request,
    zone: str,
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    as_of: str | None = None,
) -> HTMLResponse:
    try:
        ref = known_table(lh.catalog, zone, name)
    except CatalogError as error:
        return render(
            request, "missing.html", "catalog", error=error, status_code=404, **project(lh)
        )
    context = table_context(lh, queries, ref)
    return render(request, "table.html", "catalog", as_of=as_of, **context, **project(lh))


def zones(lh: Lakehouse) -> list[tuple[str, list[dict[str, Any]]]]:
    """Return (zone, its tables' summaries) for every zone, in zone order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for ref in all_tables(lh.catalog):
        grouped.setdefault(ref.zone, []).append(table_summary(lh.catalog, ref))
    return sorted(grouped.items())


def table_context(lh: Lakehouse, queries: QueryService, ref: TableRef) -> dict[str, Any]:
    """Return what the table page shows of `ref`."""
    profile = stored_profile(lh, queries, ref)
    return {
        "summary": table_summary(lh.catalog, ref),
        "columns": profiled_columns(table_columns(lh, queries, ref), profile),
        "profile": profile,
        "snapshots": list(reversed(snapshots(lh.catalog, ref))),
        "quarantine": (
            quarantine(lh, queries, ref, QUARANTINE_ROWS) if ref.zone == "formatted" else None
        ),
        "checks": latest_checks(lh, queries, ref.identifier),
        "console_sql": f"SELECT * FROM {ref.identifier} LIMIT {SAMPLE_ROWS}",
        "sample_rows": SAMPLE_ROWS,
    }


def profiled_columns(
    columns: list[dict[str, Any]], profile: Profile | None
) -> list[dict[str, Any]]:
    """Return the columns, each with its profile (None when not profiled) and histogram bars."""
    profiles = {column.name: column for column in profile.columns} if profile else {}
    return [
        {
            **column,
            "profile": profiles.get(column["name"]),
            "bars": bars(profiles[column["name"]]) if column["name"] in profiles else [],
        }
        for column in columns
    ]


def bars(column: ProfiledColumn) -> list[dict[str, Any]]:
    """Return a histogram's bins as bars: bounds, count and height in percent of the highest."""
    highest = max((count for _, _, count in column.histogram), default=0)
    return [
        {"lower": lower, "upper": upper, "count": count, "height": _percent(count, highest)}
        for lower, upper, count in column.histogram
    ]


def _percent(count: int, highest: int) -> int:
    return max(2, round(100 * count / highest)) if count and highest else 0
