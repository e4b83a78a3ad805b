"""The anomalies: `analytics.anomalies` with filters, counts per rule and severity, a chart
over time and links to the tables judged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.analysis.anomalies import reader
from lakebox.analysis.anomalies.store import ANOMALIES
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.ui.pages.grants import first_refusal, refused
from lakebox.serving.ui.templating import project, render

PAGE_ROWS = 500
FILTERS = ("rule", "severity", "entity", "since", "until")


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/anomalies")
def anomalies(
    request: Request, lh: LakehouseDep, queries: QueriesDep, who: PrincipalDep
) -> HTMLResponse:
    refusal = first_refusal(lh, who, [ANOMALIES])
    if refusal is not None:
        return refused(request, lh, refusal, "anomalies")
    stored = reader.anomalies(lh, queries.catalog, reader.AnomalyFilters(), 1)
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


def rule_names(lh: Lakehouse, stored: reader.AnomalyListing) -> list[str]:
    """Return the declared rules and those with stored anomalies, by name."""
    return sorted(set(lh.config.anomalies) | {count["rule_name"] for count in stored.counts})
