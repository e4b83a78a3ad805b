"""The UI's pages over the lakehouse: overview, catalog, table pages, the SQL console, and the
analysis pages (forecasts, anomalies, models), the runs and alerts pages, the streams' live
view, the admin and audit pages, the glossary and the search. Each shows only what its user
may read (see `grants`)."""

from __future__ import annotations

from fastapi import APIRouter

from lakebox.serving.ui.pages import (
    admin,
    alerts,
    anomalies,
    audit,
    catalog,
    console,
    forecasts,
    glossary,
    lineage,
    models,
    overview,
    runs,
    search,
    streams,
)

router = APIRouter()
_PAGES = (
    overview,
    catalog,
    lineage,
    console,
    forecasts,
    anomalies,
    models,
    runs,
    alerts,
    streams,
    admin,
    audit,
    glossary,
    search,
)
for _page in _PAGES:
    router.include_router(_page.router)
