"""The catalog: every zone's tables, and a page per table (columns, profile, sample rows,
snapshot history with time travel, quarantine and check results)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.catalog import TableRef
from lakebox.errors import CatalogError
from lakebox.lakehouse import Lakehouse
from lakebox.serving import api
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.pages.overview import latest_checks
from lakebox.serving.ui.templating import project, render

SAMPLE_ROWS = 100
QUARANTINE_ROWS = 50


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of the catalog and table pages."""
    routes = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @routes.get("/catalog")
    def listing(request: Request) -> HTMLResponse:
        return render(request, "catalog.html", "catalog", zones=zones(lh), **project(lh))

    @routes.get("/catalog/{zone}/{name}")
    def table(request: Request, zone: str, name: str, as_of: str | None = None) -> HTMLResponse:
        try:
            ref = api.known_table(lh, zone, name)
        except CatalogError as error:
            return render(
                request, "missing.html", "catalog", error=error, status_code=404, **project(lh)
            )
        context = table_context(lh, queries, ref)
        return render(request, "table.html", "catalog", as_of=as_of, **context, **project(lh))

    return routes


def zones(lh: Lakehouse) -> list[tuple[str, list[dict[str, Any]]]]:
    """Return (zone, its tables' summaries) for every zone, in zone order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for ref in api.all_tables(lh):
        grouped.setdefault(ref.zone, []).append(api.table_summary(lh, ref))
    return sorted(grouped.items())


def table_context(lh: Lakehouse, queries: QueryService, ref: TableRef) -> dict[str, Any]:
    """Return what the table page shows of `ref`."""
    profile = api.stored_profile(lh, queries, ref)
    return {
        "summary": api.table_summary(lh, ref),
        "columns": profiled_columns(api.table_columns(lh, queries, ref), profile),
        "profile": profile,
        "snapshots": list(reversed(api.snapshots(lh, ref))),
        "quarantine": (
            api.quarantine(lh, queries, ref, QUARANTINE_ROWS) if ref.zone == "formatted" else None
        ),
        "checks": latest_checks(lh, queries, ref.identifier),
        "console_sql": f"SELECT * FROM {ref.identifier} LIMIT {SAMPLE_ROWS}",
        "sample_rows": SAMPLE_ROWS,
    }


def profiled_columns(
    columns: list[dict[str, Any]], profile: api.Profile | None
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


def bars(column: api.ProfiledColumn) -> list[dict[str, Any]]:
    """Return a histogram's bins as bars: bounds, count and height in percent of the highest."""
    highest = max((count for _, _, count in column.histogram), default=0)
    return [
        {"lower": lower, "upper": upper, "count": count, "height": _percent(count, highest)}
        for lower, upper, count in column.histogram
    ]


def _percent(count: int, highest: int) -> int:
    return max(2, round(100 * count / highest)) if count and highest else 0
