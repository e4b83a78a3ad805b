"""The overview page: zones, open alerts, failing checks, quarantine totals and recent runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.access.principal import Principal
from lakebox.catalog import TableRef
from lakebox.catalog.summaries import all_tables, table_summary
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.ledger import ALERTS
from lakebox.orchestration.history import RUNS
from lakebox.quality.checks import CheckResult
from lakebox.quality.results import RESULTS
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.grants import readable_tables as readable
from lakebox.serving.queries import QueryService
from lakebox.serving.routes.runs import Runs, recent_runs
from lakebox.serving.ui.pages.alerts import open_count
from lakebox.serving.ui.pages.grants import first_refusal
from lakebox.serving.ui.templating import project, render

FAILING = ("fail", "error")
RECENT = 10
HIDDEN_MESSAGE = "(hidden: parts of this table are masked or filtered for you)"
MANIFEST = TableRef("landing", "manifest")  # the landing manifest, as SQL names it


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def overview(
    request: Request, lh: LakehouseDep, queries: QueriesDep, who: PrincipalDep
) -> HTMLResponse:
    refs = readable(who, all_tables(lh.catalog))
    checks = shown_checks(lh, who, latest_checks(lh, queries))
    shows_alerts = first_refusal(lh, who, [ALERTS]) is None
    return render(
        request,
        "overview.html",
        "overview",
        zones=zone_counts(refs),
        failing=[result for result in checks if result.status in FAILING],
        warnings=[result for result in checks if result.status == "warn"],
        checked=len(checks),
        quarantine=quarantine_totals(lh, refs),
        runs=visible_runs(lh, queries, who),
        open_alerts=open_count(lh, queries) if shows_alerts else None,
        **project(lh),
    )


def visible_runs(lh: Lakehouse, queries: QueryService, who: Principal) -> Runs | None:
    """Return the recent runs the user may see: None without ops.runs; the check runs and
    landed batches only with ops.check_results and landing.manifest."""
    if first_refusal(lh, who, [RUNS]) is not None:
        return None
    found = recent_runs(lh, queries, RECENT)
    hidden: dict[str, list[object]] = {}
    if first_refusal(lh, who, [RESULTS]) is not None:
        hidden["check_runs"] = []
    if not who.may_read_table(MANIFEST.zone, MANIFEST.name):
        hidden["batches"] = []
    return found.model_copy(update=hidden)


def shown_checks(lh: Lakehouse, who: Principal, checks: list[CheckResult]) -> list[CheckResult]:
    """Return the check results of the tables `who` may read; a check's message and sample
    (they may quote values) only where they read the table whole and in the clear."""
    plain: dict[str, bool] = {}
    shown = []
    for result in checks:
        zone, _, name = result.table.partition(".")
        if not who.may_read_table(zone, name):
            continue
        if result.table not in plain:
            plain[result.table] = first_refusal(lh, who, [TableRef(zone, name)]) is None
        hidden = {"message": HIDDEN_MESSAGE, "sample": []}
        shown.append(result if plain[result.table] else replace(result, **hidden))
    return shown


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
