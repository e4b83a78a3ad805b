"""The alerts: `ops.alerts`, the open incidents first then the resolved ones, newest first."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.lakehouse import Lakehouse
from lakebox.monitoring import ledger
from lakebox.monitoring.ledger import AlertRecord
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.pages.grants import first_refusal, refused
from lakebox.serving.ui.templating import project, render

STATUSES = ("open", "resolved")


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/alerts")
def alerts(
    request: Request, lh: LakehouseDep, queries: QueriesDep, who: PrincipalDep, status: str = ""
) -> HTMLResponse:
    refusal = first_refusal(lh, who, [ledger.ALERTS])
    if refusal is not None:
        return refused(request, lh, refusal, "alerts")
    records = stored_alerts(lh, queries)
    shown = status if status in STATUSES else ""
    return render(
        request,
        "alerts.html",
        "alerts",
        open_alerts=newest_first(records, "open") if shown != "resolved" else [],
        resolved=newest_first(records, "resolved") if shown != "open" else [],
        stored=bool(records),
        status=shown,
        statuses=STATUSES,
        **project(lh),
    )


def stored_alerts(lh: Lakehouse, queries: QueryService) -> list[AlertRecord]:
    """Return every alert in `ops.alerts` (none before the first evaluation)."""
    with queries.lock:
        return list(ledger.load(lh).values())


def open_count(lh: Lakehouse, queries: QueryService) -> int:
    """Return how many alerts are open."""
    return sum(record.status == "open" for record in stored_alerts(lh, queries))


def newest_first(records: list[AlertRecord], status: str) -> list[AlertRecord]:
    """Return the records with `status`, the latest opened (or resolved) first."""
    chosen = [record for record in records if record.status == status]
    return sorted(chosen, key=lambda record: _moment(record, status), reverse=True)


def _moment(record: AlertRecord, status: str) -> datetime:
    if status == "resolved" and record.resolved_at is not None:
        return record.resolved_at
    return record.opened_at
