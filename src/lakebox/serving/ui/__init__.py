"""The web UI of `lakebox serve`: server-rendered pages (Jinja2) with a little JavaScript and
Plotly charts, all served from the installed packages so the pages work offline."""

from __future__ import annotations

from fastapi import FastAPI

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.ui import assets, dashboards, pages


def mount_ui(app: FastAPI, lh: Lakehouse, queries: QueryService) -> None:
    """Add the UI's pages and static files to the API app."""
    assets.mount(app)
    app.include_router(pages.router(lh, queries))
    app.include_router(dashboards.router(lh, queries))
