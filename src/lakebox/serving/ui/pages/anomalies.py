"""The anomalies: `analytics.anomalies` with filters, counts per rule and severity, a chart
over time and links to the tables judged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.lakehouse import Lakehouse
from lakebox.serving import forecasts
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.templating import project, render

PAGE_ROWS = 500
FILTERS = ("rule", "severity", "entity", "since", "until")


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the route of the anomalies page."""
    routes = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @routes.get("/anomalies")
    def anomalies(request: Request) -> HTMLResponse:
        stored = forecasts.anomalies(lh, queries, forecasts.AnomalyFilters(), 1)
        given = {key: request.query_params.get(key, "") for key in FILTERS}
        return render(
            request,
            "anomalies.html",
            "anomalies",
            rules=rule_names(lh, stored),
            stored=stored.total,
            declared=bool(lh.config.anomalies),
            settings={"limit": PAGE_ROWS, "filters": given},
            **project(lh),
        )

    return routes


def rule_names(lh: Lakehouse, stored: forecasts.Anomalies) -> list[str]:
    """Return the declared rules and those with stored anomalies, by name."""
    return sorted(set(lh.config.anomalies) | {count.rule_name for count in stored.counts})
