"""The SQL console: an editor, a paged grid of the result, a chart and downloads. `/sql?q=`
fills the editor without running the query: SQL runs only when the user presses Run."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import QueryService
from lakebox.serving.ui.templating import project, render

PAGE_ROWS = 50
EXAMPLE = "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL"


def router(lh: Lakehouse, queries: QueryService) -> APIRouter:
    """Return the route of the SQL console."""
    routes = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @routes.get("/sql")
    def console(request: Request, q: str | None = None) -> HTMLResponse:
        return render(
            request,
            "sql.html",
            "sql",
            sql=q or "",
            example=EXAMPLE,
            settings={"pageRows": PAGE_ROWS, "rowLimit": queries.row_limit},
            **project(lh),
        )

    return routes
