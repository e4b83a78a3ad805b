"""The table endpoints: zones, tables with their columns and snapshot history, sample rows
(now or as of a snapshot or a time), a table's profile, and a source's quarantine — each
showing the user only the tables they may read, and their rows, columns and profiles as their
grants, masks and row filters let them see them (see `lakebox.serving.grants`)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from lakebox.catalog import TableRef
from lakebox.catalog.summaries import (
    all_tables,
    known_table,
    snapshot_as_of,
    snapshots,
    table_summary,
)
from lakebox.engine.duckdb import snapshot_scan
from lakebox.errors import CatalogError
from lakebox.formatted import quarantined
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, QueriesDep, check_ability
from lakebox.serving.encoding import json_response, trusted
from lakebox.serving.grants import (
    filters_rows,
    quoted,
    readable_tables,
    reading,
    record,
    refuse_unreadable,
    secured_source,
    table_columns_of,
)
from lakebox.serving.profiles import (
    Profile,
    ProfiledColumn,
    audit_profile,
    secured_profile,
    stored_profile,
)
from lakebox.serving.queries import QueryResult, QueryService

router = APIRouter()
# the catalog page uses these too
__all__ = ["Profile", "ProfiledColumn", "quarantine", "router", "stored_profile", "table_columns"]
AS_OF_HELP = "A snapshot id of the table, or an ISO time (the snapshot current then)."


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


@router.get("/api/zones", summary="Zones and how many tables each holds (that the user reads)")
def zones(lh: LakehouseDep, queries: QueriesDep) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ref in readable_tables(queries.principal, lh.catalog.metadata_locations()):
        counts[ref.zone] = counts.get(ref.zone, 0) + 1
    return dict(sorted(counts.items()))


@router.get("/api/tables", summary="Every table the user reads, with its row count and snapshot")
def tables(lh: LakehouseDep, queries: QueriesDep, zone: str | None = None) -> list[dict[str, Any]]:
    refs = readable_tables(queries.principal, all_tables(lh.catalog))
    return [summary_of(lh, queries, ref) for ref in refs if zone in (None, ref.zone)]


@router.get("/api/tables/{zone}/{name}", summary="A table's columns and snapshot history")
def table(zone: str, name: str, lh: LakehouseDep, queries: QueriesDep) -> dict[str, Any]:
    ref = granted_table(lh, queries, zone, name)
    refuse_unreadable(queries, ref)
    return {
        **summary_of(lh, queries, ref),
        "columns": table_columns(lh, queries, ref),
        "snapshots": history_of(lh, queries, ref),
    }


@router.get(
    "/api/tables/{zone}/{name}/rows",
    summary="Sample rows of a table, now or as of a snapshot id or a time (time travel)",
)
def rows(
    zone: str,
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    as_of: Annotated[str | None, Query(description=AS_OF_HELP)] = None,
) -> JSONResponse:
    ref = granted_table(lh, queries, zone, name)
    if as_of is None:
        sql = f"SELECT * FROM {quoted(ref)}"
        return json_response(queries.run(sql, limit, ability=None, action="read table"))
    refuse_unreadable(queries, ref)
    snapshot = snapshot_as_of(lh.catalog, ref, as_of)
    result = sample_rows(lh, queries, ref, limit, snapshot["snapshot_id"])
    # The id as text too: JavaScript's numbers lose the last digits of a 64-bit id.
    return json_response(result, as_of={**snapshot, "snapshot": str(snapshot["snapshot_id"])})


@router.get("/api/tables/{zone}/{name}/profile", summary="A table's latest stored profile")
def get_profile(zone: str, name: str, lh: LakehouseDep, queries: QueriesDep) -> Profile:
    ref = granted_table(lh, queries, zone, name)
    found = stored_profile(lh, queries, ref)
    if found is None:
        raise CatalogError(
            f"{ref.identifier} was never profiled",
            hint=f"profile it now with POST /api/tables/{zone}/{name}/profile",
        )
    return found


@router.post(
    "/api/tables/{zone}/{name}/profile",
    summary="Profile a table now (stored in ops.profiles) and return the profile",
    description="A user who sees the table in part (column grants, masks, row filters) gets "
    "the profile of their view of it, computed now and never stored.",
)
def post_profile(zone: str, name: str, lh: LakehouseDep, queries: QueriesDep) -> Profile:
    from lakebox.quality.profile import profile

    ref = granted_table(lh, queries, zone, name)
    started = time.monotonic()
    found = secured_profile(lh, queries, ref)
    if found is None:
        check_ability(queries.principal, "runs")  # storing a profile is lakebox's work
        with queries.lock:
            found = Profile.of(profile(lh, ref.identifier))
    audit_profile(queries, ref, found, started)
    return found


@router.get(
    "/api/tables/{zone}/{name}/quarantine",
    summary="The quarantined rows of a formatted table's source, with their reasons",
)
def get_quarantine(
    zone: str,
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> Quarantine:
    return quarantine(lh, queries, granted_table(lh, queries, zone, name), limit)


def granted_table(lh: Lakehouse, queries: QueryService, zone: str, name: str) -> TableRef:
    """Return table `zone.name` if the user may read it: the grant is checked first, so that
    a table they may not read and a missing one are refused alike (403)."""
    refuse_unreadable(queries, TableRef(zone, name))
    return known_table(lh.catalog, zone, name)


def summary_of(lh: Lakehouse, queries: QueryService, ref: TableRef) -> dict[str, Any]:
    """Return a table's summary (`table_summary`), its row count hidden (None) from a user
    whose row filters hide some of its rows."""
    found = table_summary(lh.catalog, ref)
    if filters_rows(queries.principal, ref):
        found["rows"] = None
    return found


def history_of(lh: Lakehouse, queries: QueryService, ref: TableRef) -> list[dict[str, Any]]:
    """Return a table's snapshots (`snapshots`), their row counts hidden as in `summary_of`."""
    found = snapshots(lh.catalog, ref)
    if filters_rows(queries.principal, ref):
        found = [{**snapshot, "rows": None} for snapshot in found]
    return found


def table_columns(lh: Lakehouse, queries: QueryService, ref: TableRef) -> list[dict[str, Any]]:
    """Return the columns of `ref` the user reads: name, type (as they see it), description
    (from lakebox.yaml) and the mask hiding its values from them (None: none)."""
    refuse_unreadable(queries, ref)
    source = secured_source(queries, ref) or quoted(ref)
    schema = queries.catalog(f"DESCRIBE SELECT * FROM {source}").to_pylist()
    return [
        {
            "name": column["column_name"],
            "type": column["column_type"],
            "description": described(lh, ref, column["column_name"]),
            "mask": _mask_kind(queries, ref, column["column_name"]),
        }
        for column in schema
    ]


def _mask_kind(queries: QueryService, ref: TableRef, column: str) -> str | None:
    mask = queries.principal.mask_of(ref.zone, ref.name, column)
    return mask.kind if mask is not None else None


def described(lh: Lakehouse, ref: TableRef, column: str) -> str | None:
    """Return a column's description from lakebox.yaml (formatted tables of sources)."""
    source = lh.config.formatted_sources.get(ref.name) if ref.zone == "formatted" else None
    config = source.columns.get(column) if source else None
    return config.description if config else None


def sample_rows(
    lh: Lakehouse, queries: QueryService, ref: TableRef, limit: int, snapshot_id: int
) -> QueryResult:
    """Return up to `limit` rows of `ref` as of one of its snapshots, as the user sees them
    (audited as "read table")."""
    started = time.monotonic()
    location = lh.catalog.metadata_locations()[ref]
    scan = snapshot_scan(location, snapshot_id=snapshot_id)
    source = secured_source(queries, ref, scan) or scan
    result = trusted(queries, f"SELECT * FROM {source}", limit)
    columns = table_columns_of(ref, result.table.column_names)
    detail = f"as of snapshot {snapshot_id}"
    record(
        queries,
        "read table",
        [ref.identifier],
        columns,
        result.table.num_rows,
        started,
        detail=detail,
    )
    return result


def quarantine(lh: Lakehouse, queries: QueryService, ref: TableRef, limit: int) -> Quarantine:
    """Return the quarantine of formatted table `ref`: reasons with counts, latest rows first,
    read as the user's SQL (grants on `quarantine.<source>`, masks and row filters apply)."""
    listing = quarantined.quarantine(lh, reading(queries), ref, limit)
    if filters_rows(queries.principal, TableRef("quarantine", ref.name)):
        listing.total_rows = sum(int(reason["rows"]) for reason in listing.reasons)
    return Quarantine.model_validate(vars(listing))
