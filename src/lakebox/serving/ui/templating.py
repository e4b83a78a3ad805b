"""Rendering the UI's Jinja2 templates, with the filters the pages share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lakebox.access.principal import Principal
from lakebox.ground.json import json_default
from lakebox.lakehouse import Lakehouse
from lakebox.serving.identity import Identity

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
NAVIGATION = (
    ("overview", "Overview", "/"),
    ("catalog", "Catalog", "/catalog"),
    ("sql", "SQL", "/sql"),
    ("dashboards", "Dashboards", "/dashboards"),
    ("glossary", "Glossary", "/glossary"),
    ("streams", "Streams", "/streams"),
    ("forecasts", "Forecasts", "/forecasts"),
    ("anomalies", "Anomalies", "/anomalies"),
    ("models", "Models", "/models"),
    ("runs", "Runs", "/runs"),
    ("alerts", "Alerts", "/alerts"),
    ("admin", "Admin", "/admin"),
    ("audit", "Audit", "/audit"),
)
# The sections listed only for users whose roles give them an ability.
NEEDS = {"sql": "query", "admin": "admin", "audit": "admin"}


@dataclass(frozen=True)
class Viewer:
    """Who a page is rendered for, as its header shows them: name, roles, how they came in
    (local, token, session, shared) and the CSRF token of their session ('' without one)."""

    principal: Principal
    via: str
    csrf: str

    @property
    def local(self) -> bool:
        return self.via == "local"

    def can(self, ability: str) -> bool:
        return self.principal.can(ability)


def viewer(request: Request) -> Viewer:
    """Return who the request's page is for (the local user when no identity was set)."""
    identity: Identity | None = getattr(request.state, "identity", None)
    if identity is None:
        return Viewer(Principal.local(), "local", "")
    csrf = identity.session.csrf if identity.session is not None else ""
    return Viewer(identity.principal, identity.via, csrf)


def render(
    request: Request, template: str, section: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render `template` inside the layout, with `section` highlighted in the navigation;
    the navigation lists the pages the user may open, the header shows who they are."""
    who = viewer(request)
    shown = [item for item in NAVIGATION if item[0] not in NEEDS or who.can(NEEDS[item[0]])]
    context = {"navigation": shown, "section": section, "viewer": who, **context}
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


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


def project(lh: Lakehouse) -> dict[str, str]:
    """Return the project's name and folder, for the page header."""
    return {"project_name": lh.config.name, "project_dir": str(lh.project_dir)}


def table_href(table: str) -> str:
    """Return the catalog page of `zone.table`."""
    zone, _, name = table.partition(".")
    return f"/catalog/{quote(zone, safe='')}/{quote(name, safe='')}"


def column_href(column: str) -> str:
    """Return where the table page of `zone.table.column` shows the column's docs."""
    zone, _, rest = column.partition(".")
    name, _, field = rest.partition(".")
    return f"{table_href(f'{zone}.{name}')}#dictionary-{quote(field, safe='')}"


TEMPLATES.env.filters.update(table_href=table_href, column_href=column_href)
# Jinja's `tojson` (HTML-safe, for <script> blocks) with dates as ISO text.
TEMPLATES.env.policies["json.dumps_kwargs"] = {"sort_keys": False, "default": json_default}
