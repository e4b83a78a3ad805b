"""The overview page: zones, open alerts, failing checks, quarantine totals and recent runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.catalog import TableRef
from lakebox.catalog.summaries import all_tables, table_summary
from lakebox.lakehouse import Lakehouse
from lakebox.quality.checks import CheckResult
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.queries import QueryService
from lakebox.serving.routes.runs import recent_runs
from lakebox.serving.ui.pages.alerts import open_count
from lakebox.serving.ui.templating import project, render

FAILING = ("fail", "error")
RECENT = 10


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def overview(request: Request, lh: LakehouseDep, queries: QueriesDep) -> HTMLResponse:
    refs = all_tables(lh.catalog)
    checks = latest_checks(lh, queries)
    return render(
        request,
        "overview.html",
        "overview",
        zones=zone_counts(refs),
        failing=[result for result in checks if result.status in FAILING],
        warnings=[result for result in checks if result.status == "warn"],
        checked=len(checks),
        quarantine=quarantine_totals(lh, refs),
        runs=recent_runs(lh, queries, RECENT),
        open_alerts=open_count(lh, queries),
        **project(lh),
    )


def zone_counts(refs: list[TableRef]) -> list[tuple[str, int]]:
    """Return (zone, number of tables) in zone order."""
    counts: dict[str, int] = {}
    for ref in refs:
        counts[ref.zone] = counts.get(ref.zone, 0) + 1
    return sorted(counts.items())


def latest_checks(
    lh: Lakehouse, queries: QueryService, table: str | None = None
) -> list[CheckResult]:
    """Return each table's latest check results (of `table` only, if given)."""
    from lakebox.quality import results

    with queries.lock:
        found: list[CheckResult] = results.latest(lh, table)
    return found


def quarantine_totals(lh: Lakehouse, refs: list[TableRef]) -> list[dict[str, Any]]:
    """Return every quarantine table's source and row count, the fullest first."""
    totals = [
        {"source": ref.name, "rows": table_summary(lh.catalog, ref)["rows"]}
        for ref in refs
        if ref.zone == "quarantine"
    ]
    return sorted(totals, key=lambda total: (-total["rows"], total["source"]))
