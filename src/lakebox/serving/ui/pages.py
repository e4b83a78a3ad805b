"""The UI's pages over the lakehouse: overview, catalog, table pages and the SQL console."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.templating import render


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of the pages."""
    routes = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @routes.get("/")
    def overview(request: Request) -> HTMLResponse:
        counts: dict[str, int] = {}
        for ref in lh.catalog.metadata_locations():
            counts[ref.zone] = counts.get(ref.zone, 0) + 1
        return render(request, "overview.html", "overview", zones=sorted(counts.items()))

    return routes
