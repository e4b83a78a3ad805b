"""The UI's pages over the lakehouse: overview, catalog, table pages, the SQL console, and the
analysis pages (forecasts, anomalies, models), and the runs and alerts pages."""

from __future__ import annotations

from fastapi import APIRouter

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.pages import (
    alerts,
    anomalies,
    catalog,
    console,
    forecasts,
    models,
    overview,
    runs,
)


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of the pages."""
    routes = APIRouter()
    for module in (overview, catalog, console, forecasts, anomalies, models, runs, alerts):
        routes.include_router(module.router(lh, queries))
    return routes
