"""Dashboards declared in a project's `dashboards/*.yaml`: filters, tabs and charts, each
chart bound to read-only SQL whose user values are prepared-statement parameters."""

from __future__ import annotations

from lakebox.serving.dashboards.filters import FilterState, Resolved, resolve
from lakebox.serving.dashboards.loading import FOLDER, DashboardFolder, Entry, load, parse
from lakebox.serving.dashboards.queries import BoundQuery, bind
from lakebox.serving.dashboards.spec import Chart, Dashboard

__all__ = [
    "FOLDER",
    "BoundQuery",
    "Chart",
    "Dashboard",
    "DashboardFolder",
    "Entry",
    "FilterState",
    "Resolved",
    "bind",
    "load",
    "parse",
    "resolve",
]
