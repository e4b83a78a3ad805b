"""The SQL endpoint: one read-only statement over every zone, answered as JSON, CSV, Parquet
or a streamed Arrow IPC result (POST only: a GET could be sent by any site's link); and the
latest check results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.encoding import Format, respond
from lakebox.serving.queries import MAX_ROW_LIMIT

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
    result = queries.run(request.sql, request.limit, request.timeout)
    return respond(result, request.format)


@router.get("/api/sql", include_in_schema=False)
def sql_get() -> JSONResponse:
    return JSONResponse(SQL_GET_REFUSAL, status_code=405, headers={"Allow": "POST"})


@router.get("/api/checks", summary="The latest check results per table")
def checks(lh: LakehouseDep, queries: QueriesDep, table: str | None = None) -> list[dict[str, Any]]:
    from lakebox.quality import results

    with queries.lock:
        return [vars(result) for result in results.latest(lh, table)]
