"""The SQL console: an editor, a paged grid of the result, a chart and downloads. `/sql?q=`
fills the editor without running the query: SQL runs only when the user presses Run. Only
users whose roles give them `query` (their own SQL) open it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.ui.pages.grants import ability_refusal, refused
from lakebox.serving.ui.templating import project, render

PAGE_ROWS = 50
EXAMPLE = "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL"


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/sql")
def console(
    request: Request, lh: LakehouseDep, queries: QueriesDep, who: PrincipalDep, q: str | None = None
) -> HTMLResponse:
    refusal = ability_refusal(who, "query", "write their own SQL")
    if refusal is not None:
        return refused(request, lh, refusal, "sql")
    return render(
        request,
        "sql.html",
        "sql",
        sql=q or "",
        example=EXAMPLE,
        settings={"pageRows": PAGE_ROWS, "rowLimit": queries.row_limit},
        **project(lh),
    )
