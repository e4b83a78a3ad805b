"""Rendering the UI's Jinja2 templates, with the filters the pages share."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lakebox.cli.render import json_default

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
NAVIGATION = (
    ("overview", "Overview", "/"),
    ("catalog", "Catalog", "/catalog"),
    ("sql", "SQL", "/sql"),
    ("dashboards", "Dashboards", "/dashboards"),
)


def render(request: Request, template: str, section: str, **context: Any) -> HTMLResponse:
    """Render `template` inside the layout, with `section` highlighted in the navigation."""
    context = {"navigation": NAVIGATION, "section": section, **context}
    return TEMPLATES.TemplateResponse(request, template, context)


def to_json(value: Any) -> str:
    """JSON for embedding in a page (dates as ISO strings, decimals as numbers)."""
    return json.dumps(value, default=json_default)


def number(value: Any) -> str:
    """A count with thousands separators; other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def when(value: Any) -> str:
    """A timestamp to the second, in UTC."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


TEMPLATES.env.filters.update(to_json=to_json, number=number, when=when)
