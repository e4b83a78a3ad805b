"""The UI's dashboards, declared in the project's `dashboards/*.yaml`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.templating import render


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of the dashboards."""
    routes = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @routes.get("/dashboards")
    def listing(request: Request) -> HTMLResponse:
        return render(request, "dashboards.html", "dashboards", dashboards=[])

    return routes
