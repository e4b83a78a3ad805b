"""The UI's pages over the lakehouse: overview, catalog, table pages, the SQL console, and the
analysis pages (forecasts, anomalies, models), and the runs and alerts pages."""

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
)

router = APIRouter()
for _page in (overview, catalog, console, forecasts, anomalies, models, runs, alerts):
    router.include_router(_page.router)
