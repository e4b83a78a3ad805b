"""The web UI of `lakebox serve`: server-rendered pages (Jinja2) with a little JavaScript and
Plotly charts, all served from the installed packages so the pages work offline, and the
login and logout of its users."""

from __future__ import annotations

from fastapi import FastAPI

from lakebox.serving.dashboards import FOLDER, DashboardFolder
from lakebox.serving.ui import assets, dashboards, login, pages


def mount_ui(app: FastAPI) -> None:
    """Add the UI's pages and static files to the app (made by `create_app`, whose state
    holds the Lakehouse)."""
    app.state.dashboards = DashboardFolder(app.state.lakehouse.project_dir / FOLDER)
    assets.mount(app)
    login.mount(app)
    app.include_router(pages.router)
    app.include_router(dashboards.router)
