"""The UI's pages over the lakehouse: overview, catalog, table pages, the SQL console, and the
analysis pages (forecasts, anomalies, models), the runs and alerts pages, and the streams'
live view."""

from __future__ import annotations

from fastapi import APIRouter

from lakebox.serving.ui.pages import (
    alerts,
    anomalies,
    catalog,
    console,
    forecasts,
    models,
    overview,
    runs,
    streams,
)

router = APIRouter()
for _page in (overview, catalog, console, forecasts, anomalies, models, runs, alerts, streams):
    router.include_router(_page.router)
