"""The HTTP API of `lakebox serve`: zones, tables, columns, history, sample rows, read-only
SQL (JSON, CSV, Parquet or a streamed Arrow IPC result) and check results."""

from __future__ import annotations

import hmac
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from lakebox.catalog import BATCH_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.cli.render import json_default
from lakebox.errors import CatalogError, LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.queries import MAX_ROW_LIMIT, QueryResult, QueryService
from lakebox.serving.ui import mount_ui

Format = Literal["json", "csv", "parquet", "arrow"]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}


class SqlRequest(BaseModel):
    """A read-only SQL statement to run."""

    sql: str = Field(description="One read-only statement (DuckDB SQL) over every zone.")
    format: Format = "json"
    limit: int | None = Field(default=None, ge=1, le=MAX_ROW_LIMIT)
    timeout: float | None = Field(default=None, gt=0)


def create_app(lh: Lakehouse, token: str | None = None, **limits: Any) -> FastAPI:
    """Return the API app serving `lh`; with `token`, every request needs it as a bearer."""
    lh.engine.confine(_project_places(lh))
    queries = QueryService(lh, **limits)
    app = FastAPI(
        title="lakebox",
        summary="Zones, tables and read-only SQL over a lakebox lakehouse.",
        dependencies=[Depends(_bearer(token))] if token else [],
    )
    app.add_exception_handler(LakeboxError, _lakebox_error)  # type: ignore[arg-type]
    if token:
        _remember_token(app, token)
    _routes(app, lh, queries)
    mount_ui(app, lh, queries)
    return app


def _routes(app: FastAPI, lh: Lakehouse, queries: QueryService) -> None:
    @app.get("/api/zones", summary="Zones and how many tables each holds")
    def zones() -> dict[str, int]:
        counts: dict[str, int] = {}
        for ref in lh.catalog.metadata_locations():
            counts[ref.zone] = counts.get(ref.zone, 0) + 1
        return dict(sorted(counts.items()))

    @app.get("/api/tables", summary="Every table with its row count and snapshot")
    def tables(zone: str | None = None) -> list[dict[str, Any]]:
        return [_table_summary(lh, ref) for ref in _refs(lh) if zone in (None, ref.zone)]

    @app.get("/api/tables/{zone}/{name}", summary="A table's columns and snapshot history")
    def table(zone: str, name: str) -> dict[str, Any]:
        ref = _known(lh, zone, name)
        schema = queries.catalog(f'DESCRIBE "{zone}"."{name}"').to_pylist()
        return {
            **_table_summary(lh, ref),
            "columns": [
                {
                    "name": c["column_name"],
                    "type": c["column_type"],
                    "description": _described(lh, ref, c["column_name"]),
                }
                for c in schema
            ],
            "snapshots": _snapshots(lh, ref),
        }

    @app.get("/api/tables/{zone}/{name}/rows", summary="Sample rows of a table")
    def rows(
        zone: str, name: str, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
    ) -> JSONResponse:
        _known(lh, zone, name)
        return _json(queries.run(f'SELECT * FROM "{zone}"."{name}"', limit))

    @app.post("/api/sql", summary="Run one read-only SQL statement")
    def sql_post(request: SqlRequest) -> Response:
        result = queries.run(request.sql, request.limit, request.timeout)
        return _respond(result, request.format)

    @app.get("/api/sql", summary="Run one read-only SQL statement (for downloads and links)")
    def sql_get(
        q: Annotated[str, Query(description="The SQL statement.")],
        format: Format = "json",
        limit: Annotated[int | None, Query(ge=1, le=MAX_ROW_LIMIT)] = None,
    ) -> Response:
        return _respond(queries.run(q, limit), format)

    @app.get("/api/checks", summary="The latest check results per table")
    def checks(table: str | None = None) -> list[dict[str, Any]]:
        from lakebox.quality import results

        with queries.lock:
            return [vars(result) for result in results.latest(lh, table)]


def _project_places(lh: Lakehouse) -> list[str]:
    """Return where the served project keeps files: SQL may read there and nowhere else."""
    places = [str(lh.project_dir), str(lh.scratch_dir), str(lh.temporal_dir)]
    return [*places, lh.storage.root_uri.removeprefix("file://")]


def _refs(lh: Lakehouse) -> list[TableRef]:
    return sorted(lh.catalog.metadata_locations(), key=lambda ref: ref.identifier)


def _known(lh: Lakehouse, zone: str, name: str) -> TableRef:
    ref = TableRef(zone, name)
    if ref not in lh.catalog.metadata_locations():
        raise HTTPException(404, detail=f"no table {ref.identifier!r}")
    return ref


def _table_summary(lh: Lakehouse, ref: TableRef) -> dict[str, Any]:
    return {**lh.catalog.summary(ref), "zone": ref.zone, "name": ref.name}


def _snapshots(lh: Lakehouse, ref: TableRef) -> list[dict[str, Any]]:
    table = lh.catalog.load(ref)
    found = []
    for snapshot in table.snapshots() if table is not None else []:
        extra = snapshot_properties(snapshot)
        found.append(
            {
                "snapshot_id": snapshot.snapshot_id,
                "committed_at": datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC),
                "operation": snapshot.summary.operation.value if snapshot.summary else None,
                "batch_ids": json.loads(extra.get(BATCH_PROPERTY, "[]")),
                "rows": int(extra.get("total-records", 0)),
            }
        )
    return found


def _described(lh: Lakehouse, ref: TableRef, column: str) -> str | None:
    """Return a column's description from lakebox.yaml (formatted tables of sources)."""
    source = lh.config.sources.get(ref.name) if ref.zone == "formatted" else None
    config = source.columns.get(column) if source else None
    return config.description if config else None


def _respond(result: QueryResult, output: str) -> Response:
    headers = {"X-Lakebox-Truncated": str(result.truncated).lower()}
    if output == "json":
        return _json(result)
    if output == "csv":
        sink = io.BytesIO()
        pacsv.write_csv(result.table, sink)
        return Response(sink.getvalue(), media_type=_MEDIA["csv"], headers=headers)
    if output == "parquet":
        sink = io.BytesIO()
        pq.write_table(result.table, sink)
        return Response(sink.getvalue(), media_type=_MEDIA["parquet"], headers=headers)
    return StreamingResponse(
        _arrow_stream(result.table), media_type=_MEDIA["arrow"], headers=headers
    )


def _arrow_stream(table: pa.Table) -> Iterator[bytes]:
    """Yield an Arrow IPC stream: the schema, then one chunk per record batch."""
    buffer = io.BytesIO()
    with pa.ipc.new_stream(buffer, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=65_536):
            writer.write_batch(batch)
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


def _json(result: QueryResult) -> JSONResponse:
    body = {
        "columns": [{"name": f.name, "type": str(f.type)} for f in result.table.schema],
        "rows": json.loads(json.dumps(result.table.to_pylist(), default=json_default)),
        "row_count": result.table.num_rows,
        "truncated": result.truncated,
        "seconds": round(result.seconds, 3),
    }
    return JSONResponse(body)


TOKEN_COOKIE = "lakebox_token"


def _remember_token(app: FastAPI, token: str) -> None:
    """A browser that opened a page with the right `?token=` keeps it as an HTTP-only cookie."""

    @app.middleware("http")
    async def remember(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response = await call_next(request)
        given = request.query_params.get("token", "")
        if given and hmac.compare_digest(given.encode(), token.encode()):
            response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict")
        return response


def _bearer(token: str) -> Callable[[Request], None]:
    """Require the token as a bearer header, or (for browsers) as the `lakebox_token` cookie
    set by opening any page once with `?token=...`."""

    def check(request: Request) -> None:
        header = request.headers.get("Authorization", "").removeprefix("Bearer ")
        given = (
            header or request.cookies.get(TOKEN_COOKIE, "") or request.query_params.get("token", "")
        )
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                401, detail="a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )

    return check


async def _lakebox_error(request: Request, error: LakeboxError) -> JSONResponse:
    status = 404 if isinstance(error, CatalogError) else 400
    return JSONResponse({"error": error.message, "hint": error.hint}, status_code=status)
