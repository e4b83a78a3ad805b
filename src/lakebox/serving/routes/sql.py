"""The SQL endpoint: one read-only statement over every zone, answered as JSON, CSV, Parquet
or a streamed Arrow IPC result (POST only: a GET could be sent by any site's link); and the
latest check results. The statement runs as the request's user, who needs the ability
`query`; an answer as a file (CSV, Parquet, Arrow) is audited as a download."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from lakebox.catalog import TableRef
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.encoding import Format, respond
from lakebox.serving.grants import require_whole, sees_whole
from lakebox.serving.queries import MAX_ROW_LIMIT, QueryService

if TYPE_CHECKING:
    from lakebox.quality.checks import CheckResult

router = APIRouter()
SQL_GET_REFUSAL = {
    "error": "GET /api/sql does not run SQL: a link or an image from any site could send it",
    "hint": 'POST it as JSON: {"sql": "...", "format": "json"}; or open /sql?q=... to see it '
    "in the SQL console, then press Run",
}


class SqlRequest(BaseModel):
    """A read-only SQL statement to run."""

    sql: str = Field(description="One read-only statement (DuckDB SQL) over every zone.")
    format: Format = "json"
    limit: int | None = Field(default=None, ge=1, le=MAX_ROW_LIMIT)
    timeout: float | None = Field(default=None, gt=0)


@router.post("/api/sql", summary="Run one read-only SQL statement")
def sql_post(request: SqlRequest, queries: QueriesDep) -> Response:
    action = "query" if request.format == "json" else "download"
    result = queries.run(request.sql, request.limit, request.timeout, action=action)
    return respond(result, request.format)


@router.get("/api/sql", include_in_schema=False)
def sql_get() -> JSONResponse:
    return JSONResponse(SQL_GET_REFUSAL, status_code=405, headers={"Allow": "POST"})


@router.get("/api/checks", summary="The latest check results per table")
def checks(lh: LakehouseDep, queries: QueriesDep, table: str | None = None) -> list[dict[str, Any]]:
    """Needs a grant of all of ops.check_results. Only the results of tables the user may
    read are shown, and the samples of failing rows only of tables they read whole."""
    from lakebox.quality import results

    require_whole(queries, results.RESULTS)
    with queries.lock:
        found = results.latest(lh, table)
    return [shown for result in found if (shown := _check_shown(queries, result)) is not None]


def _check_shown(queries: QueryService, result: CheckResult) -> dict[str, Any] | None:
    """Return what the user sees of a check result: None for a table they may not read, no
    sample of failing rows for a table they read in part."""
    ref = TableRef(*result.table.split(".", 1))
    if not queries.principal.may_read_table(ref.zone, ref.name):
        return None
    return vars(result) if sees_whole(queries, ref) else {**vars(result), "sample": []}
