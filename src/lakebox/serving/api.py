"""The HTTP API of `lakebox serve`: zones, tables, columns, history, sample rows, read-only
SQL (JSON, CSV, Parquet or a streamed Arrow IPC result) and check results."""

from __future__ import annotations

import io
import json
import math
import re
import time
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from lakebox.catalog import BATCH_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.cli.render import json_default
from lakebox.engine.duckdb import snapshot_scan
from lakebox.errors import CatalogError, LakeboxError, QueryError
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.serving.docs import mount_docs
from lakebox.serving.forecasts import router as forecast_routes
from lakebox.serving.metrics import router as metrics_routes
from lakebox.serving.models import router as model_routes
from lakebox.serving.pipelines import router as pipeline_routes
from lakebox.serving.queries import MAX_ROW_LIMIT, QueryResult, QueryService
from lakebox.serving.security import LOOPBACK_HOSTS, Guard, carries_token

if TYPE_CHECKING:
    from lakebox.quality.profile import TableProfile

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


def create_app(
    lh: Lakehouse,
    token: str | None = None,
    *,
    allowed_hosts: Collection[str] = LOOPBACK_HOSTS,
    **limits: Any,
) -> FastAPI:
    """Return the API app serving `lh`; with `token`, every request needs it as a bearer.

    It answers only requests whose Host is one of `allowed_hosts` (see
    `lakebox.serving.security.allowed_hosts`), and refuses state-changing requests that a
    browser may send from another site."""
    lh.engine.confine(_project_places(lh))
    queries = QueryService(lh, **limits)
    app = FastAPI(
        title="lakebox",
        summary="Zones, tables and read-only SQL over a lakebox lakehouse.",
        dependencies=[Depends(_bearer(token))] if token else [],
        docs_url=None,  # served by mount_docs, from local files
        redoc_url=None,
    )
    app.add_exception_handler(LakeboxError, _lakebox_error)  # type: ignore[arg-type]
    app.add_middleware(Guard, hosts=allowed_hosts, token=token)  # type: ignore[arg-type]
    _routes(app, lh, queries)
    _table_routes(app, lh, queries)
    app.include_router(model_routes(lh))
    app.include_router(forecast_routes(lh, queries))
    app.include_router(metrics_routes(lh))
    app.include_router(pipeline_routes(lh))
    mount_docs(app)
    from lakebox.serving.ui import mount_ui  # the UI's pages build on this module's readers

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
        return [table_summary(lh, ref) for ref in all_tables(lh) if zone in (None, ref.zone)]

    @app.get("/api/tables/{zone}/{name}", summary="A table's columns and snapshot history")
    def table(zone: str, name: str) -> dict[str, Any]:
        ref = known_table(lh, zone, name)
        return {
            **table_summary(lh, ref),
            "columns": table_columns(lh, queries, ref),
            "snapshots": snapshots(lh, ref),
        }

    @app.post("/api/sql", summary="Run one read-only SQL statement")
    def sql_post(request: SqlRequest) -> Response:
        result = queries.run(request.sql, request.limit, request.timeout)
        return _respond(result, request.format)

    @app.get("/api/sql", include_in_schema=False)
    def sql_get() -> JSONResponse:
        return JSONResponse(SQL_GET_REFUSAL, status_code=405, headers={"Allow": "POST"})

    @app.get("/api/checks", summary="The latest check results per table")
    def checks(table: str | None = None) -> list[dict[str, Any]]:
        from lakebox.quality import results

        with queries.lock:
            return [vars(result) for result in results.latest(lh, table)]


def _table_routes(app: FastAPI, lh: Lakehouse, queries: QueryService) -> None:
    @app.get(
        "/api/tables/{zone}/{name}/rows",
        summary="Sample rows of a table, now or as of a snapshot id or a time (time travel)",
    )
    def rows(
        zone: str,
        name: str,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        as_of: Annotated[str | None, Query(description=AS_OF_HELP)] = None,
    ) -> JSONResponse:
        ref = known_table(lh, zone, name)
        if as_of is None:
            return _json(queries.run(f"SELECT * FROM {_quoted(ref)}", limit))
        snapshot = snapshot_as_of(lh, ref, as_of)
        result = sample_rows(lh, queries, ref, limit, snapshot["snapshot_id"])
        # The id as text too: JavaScript's numbers lose the last digits of a 64-bit id.
        return _json(result, as_of={**snapshot, "snapshot": str(snapshot["snapshot_id"])})

    @app.get("/api/tables/{zone}/{name}/profile", summary="A table's latest stored profile")
    def get_profile(zone: str, name: str) -> Profile:
        ref = known_table(lh, zone, name)
        found = stored_profile(lh, queries, ref)
        if found is None:
            raise CatalogError(
                f"{ref.identifier} was never profiled",
                hint=f"profile it now with POST /api/tables/{zone}/{name}/profile",
            )
        return found

    @app.post(
        "/api/tables/{zone}/{name}/profile",
        summary="Profile a table now (stored in ops.profiles) and return the profile",
    )
    def post_profile(zone: str, name: str) -> Profile:
        from lakebox.quality.profile import profile

        ref = known_table(lh, zone, name)
        with queries.lock:
            return Profile.of(profile(lh, ref.identifier))

    @app.get(
        "/api/tables/{zone}/{name}/quarantine",
        summary="The quarantined rows of a formatted table's source, with their reasons",
    )
    def get_quarantine(
        zone: str, name: str, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
    ) -> Quarantine:
        return quarantine(lh, queries, known_table(lh, zone, name), limit)

    @app.get(
        "/api/runs",
        summary="Recent runs: pipeline runs (ops.runs), check runs and landed batches",
    )
    def runs(limit: Annotated[int, Query(ge=1, le=1_000)] = 20) -> Runs:
        return recent_runs(lh, queries, limit)


SQL_GET_REFUSAL = {
    "error": "GET /api/sql does not run SQL: a link or an image from any site could send it",
    "hint": 'POST it as JSON: {"sql": "...", "format": "json"}; or open /sql?q=... to see it '
    "in the SQL console, then press Run",
}
AS_OF_HELP = "A snapshot id of the table, or an ISO time (the snapshot current then)."
RUNS_NOTE = (
    "Pipeline runs from ops.runs (every run, with its steps, on the Runs page), the check "
    "runs recorded in ops.check_results and the batches recorded in landing.manifest."
)


class ProfiledColumn(BaseModel):
    """One column's profile; histogram bins are [lower, upper, count]."""

    name: str
    type: str
    null_share: float
    distinct_count: int
    min: str | None
    max: str | None
    top_values: list[tuple[str, int]]
    histogram: list[tuple[int | float | str, int | float | str, int]]


class Profile(BaseModel):
    """A table's profile at one snapshot."""

    table: str
    snapshot_id: int | None
    rows: int
    profiled_at: datetime
    columns: list[ProfiledColumn]

    @classmethod
    def of(cls, found: TableProfile) -> Profile:
        """Return the model of a `lakebox.quality.profile.TableProfile`."""
        return cls.model_validate(
            {**vars(found), "columns": [vars(column) for column in found.columns]}
        )


class QuarantineReason(BaseModel):
    """How many rows were quarantined for one reason."""

    column: str | None
    reason: str
    rows: int


class Quarantine(BaseModel):
    """The quarantine table of a formatted table's source: reasons, then the latest rows."""

    table: str
    total_rows: int
    reasons: list[QuarantineReason]
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    truncated: bool


class CheckRun(BaseModel):
    """One run's checks, as recorded in ops.check_results."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    tables: int
    checks: int
    passed: int
    warned: int
    failed: int


class LandedBatch(BaseModel):
    """One batch of the landing manifest."""

    batch_id: str
    source: str
    received_at: datetime
    status: str
    rows_read: int | None
    rows_formatted: int | None
    rows_quarantined: int | None
    error: str | None


class PipelineRun(BaseModel):
    """One run of a pipeline, as recorded in ops.runs."""

    run_id: str
    pipeline: str
    command: str
    started_at: datetime
    seconds: float | None
    status: str
    rows_in: int | None
    rows_out: int | None
    error: str | None


class Runs(BaseModel):
    """Recent pipeline runs, check runs and landed batches, newest first."""

    note: str
    runs: list[PipelineRun] = []
    check_runs: list[CheckRun]
    batches: list[LandedBatch]


def table_columns(lh: Lakehouse, queries: QueryService, ref: TableRef) -> list[dict[str, Any]]:
    """Return a table's columns: name, type and description (from lakebox.yaml)."""
    schema = queries.catalog(f"DESCRIBE {_quoted(ref)}").to_pylist()
    return [
        {
            "name": column["column_name"],
            "type": column["column_type"],
            "description": described(lh, ref, column["column_name"]),
        }
        for column in schema
    ]


def snapshot_as_of(lh: Lakehouse, ref: TableRef, as_of: str) -> dict[str, Any]:
    """Return the snapshot of `ref` with id `as_of`, or the one current at ISO time `as_of`."""
    found = snapshots(lh, ref)
    if re.fullmatch(r"[0-9]+", as_of.strip()):
        matching = [s for s in found if s["snapshot_id"] == int(as_of)]
        hint = f"pick one from GET /api/tables/{ref.zone}/{ref.name}"
        if not matching:
            raise QueryError(f"{ref.identifier} has no snapshot {as_of}", hint=hint)
        return matching[0]
    moment = _moment(as_of)
    before = [s for s in found if s["committed_at"] <= moment]
    if not before:
        raise QueryError(
            f"{ref.identifier} had no snapshot yet at {moment.isoformat()}",
            hint="pick a later time, or a snapshot id from the table's history",
        )
    return max(before, key=lambda s: s["committed_at"])


def _moment(as_of: str) -> datetime:
    """Return ISO time `as_of` as an aware UTC time (a naive time is taken as UTC)."""
    try:
        moment = datetime.fromisoformat(as_of.strip())
    except ValueError:
        raise QueryError(
            f"as_of {as_of!r} is neither a snapshot id nor an ISO time",
            hint="e.g. as_of=2026-11-23T10:00:00 or a snapshot id from the table's history",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sample_rows(
    lh: Lakehouse, queries: QueryService, ref: TableRef, limit: int, snapshot_id: int
) -> QueryResult:
    """Return up to `limit` rows of `ref` as of one of its snapshots."""
    location = lh.catalog.metadata_locations()[ref]
    scan = snapshot_scan(location, snapshot_id=snapshot_id)
    return _trusted(queries, f"SELECT * FROM {scan}", limit)


def _trusted(queries: QueryService, sql: str, limit: int) -> QueryResult:
    """Run lakebox's own `sql` (not a user's) for at most `limit` rows."""
    started = time.monotonic()
    table = queries.catalog(f"SELECT * FROM ({sql}) LIMIT {int(limit) + 1}")
    truncated = table.num_rows > limit
    return QueryResult(table.slice(0, limit), truncated, time.monotonic() - started)


def stored_profile(lh: Lakehouse, queries: QueryService, ref: TableRef) -> Profile | None:
    """Return the newest profile of `ref` in ops.profiles, or None."""
    from lakebox.quality.profile import latest_profile

    with queries.lock:
        found = latest_profile(lh, ref.identifier)
    return Profile.of(found) if found is not None else None


def quarantine(lh: Lakehouse, queries: QueryService, ref: TableRef, limit: int) -> Quarantine:
    """Return the quarantine of formatted table `ref`: reasons with counts, latest rows first."""
    if ref.zone != "formatted":
        raise CatalogError(
            f"{ref.identifier} is not a formatted table: only sources have a quarantine",
            hint="ask for formatted.<source>, e.g. GET /api/tables/formatted/<source>/quarantine",
        )
    held = TableRef("quarantine", ref.name)
    empty = Quarantine(
        table=held.identifier, total_rows=0, reasons=[], columns=[], rows=[], truncated=False
    )
    if held not in lh.catalog.metadata_locations():
        return empty
    reasons = queries.catalog(
        f"SELECT _column AS column, _reason AS reason, count(*) AS rows FROM {_quoted(held)} "
        "GROUP BY ALL ORDER BY rows DESC, reason LIMIT 100"
    ).to_pylist()
    latest = _trusted(
        queries,
        f"SELECT {QUARANTINE_COLUMNS} FROM {_quoted(held)} "
        "ORDER BY _ingested_at DESC, _source_file, _source_line",
        limit,
    )
    body = _json_body(latest)
    return Quarantine(
        table=held.identifier,
        total_rows=table_summary(lh, held)["rows"],
        reasons=[QuarantineReason(**reason) for reason in reasons],
        columns=body["columns"],
        rows=body["rows"],
        truncated=latest.truncated,
    )


QUARANTINE_COLUMNS = "_reason, _column, _raw, _source_file, _source_line, _batch_id, _ingested_at"


def recent_runs(lh: Lakehouse, queries: QueryService, limit: int) -> Runs:
    """Return the latest `limit` pipeline runs, check runs and landed batches, newest first."""
    from lakebox.quality.results import RESULTS

    check_runs: list[dict[str, Any]] = []
    if RESULTS in lh.catalog.metadata_locations():
        check_runs = queries.catalog(
            "SELECT run_id, min(checked_at) AS started_at, max(checked_at) AS finished_at, "
            "count(DISTINCT table_name) AS tables, count(*) AS checks, "
            "count(*) FILTER (WHERE status = 'pass') AS passed, "
            "count(*) FILTER (WHERE status = 'warn') AS warned, "
            "count(*) FILTER (WHERE status IN ('fail', 'error')) AS failed "
            f"FROM {RESULTS.identifier} GROUP BY run_id ORDER BY started_at DESC LIMIT {limit}"
        ).to_pylist()
    from lakebox.orchestration import history

    entries = lh.manifest.entries()[-limit:]
    with queries.lock:
        pipeline_runs = history.recent(lh, limit)
    return Runs(
        note=RUNS_NOTE,
        runs=[PipelineRun.model_validate(run) for run in pipeline_runs],
        check_runs=[CheckRun(**run) for run in check_runs],
        batches=[LandedBatch.model_validate(vars(entry)) for entry in reversed(entries)],
    )


def _quoted(ref: TableRef) -> str:
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"


def _project_places(lh: Lakehouse) -> list[str]:
    """Return where the served project keeps files: SQL may read there and nowhere else."""
    places = [str(lh.project_dir), str(lh.scratch_dir), str(lh.temporal_dir)]
    return [*places, lh.storage.root_uri.removeprefix("file://")]


def all_tables(lh: Lakehouse) -> list[TableRef]:
    """Return every table of the catalog, by zone and name."""
    return sorted(lh.catalog.metadata_locations(), key=lambda ref: ref.identifier)


def known_table(lh: Lakehouse, zone: str, name: str) -> TableRef:
    """Return the TableRef of `zone.name`, or raise CatalogError (a 404) if there is none."""
    ref = TableRef(zone, name)
    if ref not in lh.catalog.metadata_locations():
        raise CatalogError(
            f"no table {ref.identifier!r}", hint="list the tables with GET /api/tables"
        )
    return ref


def table_summary(lh: Lakehouse, ref: TableRef) -> dict[str, Any]:
    """Return a table's name, zone, rows, current snapshot, its commit time and how many
    snapshots the table has."""
    table = lh.catalog.load(ref)
    snapshot = table.current_snapshot() if table is not None else None
    return {
        "table": ref.identifier,
        "zone": ref.zone,
        "name": ref.name,
        "rows": int(snapshot_properties(snapshot).get("total-records", 0)),
        "snapshot_id": snapshot.snapshot_id if snapshot else None,
        "committed_at": _committed_at(snapshot.timestamp_ms) if snapshot else None,
        "snapshot_count": len(table.snapshots()) if table is not None else 0,
    }


def _committed_at(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def snapshots(lh: Lakehouse, ref: TableRef) -> list[dict[str, Any]]:
    """Return a table's snapshots, oldest first: id, commit time, operation, batches, rows."""
    table = lh.catalog.load(ref)
    found = []
    for snapshot in table.snapshots() if table is not None else []:
        extra = snapshot_properties(snapshot)
        found.append(
            {
                "snapshot_id": snapshot.snapshot_id,
                "committed_at": _committed_at(snapshot.timestamp_ms),
                "operation": snapshot.summary.operation.value if snapshot.summary else None,
                "batch_ids": json.loads(extra.get(BATCH_PROPERTY, "[]")),
                "rows": int(extra.get("total-records", 0)),
            }
        )
    return found


def described(lh: Lakehouse, ref: TableRef, column: str) -> str | None:
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


def _json(result: QueryResult, **extra: Any) -> JSONResponse:
    return JSONResponse({**_json_body(result), **_plain(extra)})


def _plain(value: Any) -> Any:
    """Return `value` as JSON-ready data: dates as ISO text, NaN and infinities as text (JSON
    has no such numbers), other unknown types as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return json_default(value)


def _json_body(result: QueryResult) -> dict[str, Any]:
    """Return a result as JSON-ready columns and rows, with its count, truncation and time."""
    return {
        "columns": [{"name": f.name, "type": str(f.type)} for f in result.table.schema],
        "rows": _plain(result.rows()),
        "row_count": result.table.num_rows,
        "truncated": result.truncated,
        "seconds": round(result.seconds, 3),
        **({"notice": result.notice} if result.notice else {}),
    }


def _bearer(token: str) -> Callable[[Request], None]:
    """Require the token as a bearer header, or (for browsers) as the `lakebox_token` cookie
    set by opening any page once with `?token=...` (see `security.Guard`)."""

    def check(request: Request) -> None:
        if not carries_token(request.headers, token):
            raise HTTPException(
                401, detail="a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )

    return check


async def _lakebox_error(request: Request, error: LakeboxError) -> JSONResponse:
    given = error.fields.get("status")  # e.g. 503 for a busy server
    status = given if isinstance(given, int) else 404 if isinstance(error, CatalogError) else 400
    retry = error.fields.get("retry_after")  # a busy server: 503, retry after a while
    headers = {"Retry-After": str(retry)} if retry is not None else None
    body = {"error": error.message, "hint": error.hint}
    return JSONResponse(body, status_code=status, headers=headers)
