"""The UI's pages over the lakehouse: overview, catalog, table pages, the SQL console, and the
analysis pages (forecasts, anomalies, models)."""

from __future__ import annotations

from fastapi import APIRouter

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.pages import anomalies, catalog, console, forecasts, models, overview


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of the pages."""
    routes = APIRouter()
    for module in (overview, catalog, console, forecasts, anomalies, models):
        routes.include_router(module.router(lh, queries))
    return routes
