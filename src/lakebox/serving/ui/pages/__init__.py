"""The UI's pages over the lakehouse: overview, catalog, table pages and the SQL console."""

from __future__ import annotations

from fastapi import APIRouter

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.pages import catalog, console, overview


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the routes of the pages."""
    routes = APIRouter()
    for module in (overview, catalog, console):
        routes.include_router(module.router(lh, queries))
    return routes
