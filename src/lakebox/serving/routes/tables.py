"""The table endpoints: zones, tables with their columns and snapshot history, sample rows
(now or as of a snapshot or a time), a table's profile, and a source's quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

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
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.encoding import json_response, trusted
from lakebox.serving.queries import QueryResult, QueryService

if TYPE_CHECKING:
    from lakebox.quality.profile import TableProfile

router = APIRouter()
AS_OF_HELP = "A snapshot id of the table, or an ISO time (the snapshot current then)."


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


@router.get("/api/zones", summary="Zones and how many tables each holds")
def zones(lh: LakehouseDep) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ref in lh.catalog.metadata_locations():
        counts[ref.zone] = counts.get(ref.zone, 0) + 1
    return dict(sorted(counts.items()))


@router.get("/api/tables", summary="Every table with its row count and snapshot")
def tables(lh: LakehouseDep, zone: str | None = None) -> list[dict[str, Any]]:
    refs = all_tables(lh.catalog)
    return [table_summary(lh.catalog, ref) for ref in refs if zone in (None, ref.zone)]


@router.get("/api/tables/{zone}/{name}", summary="A table's columns and snapshot history")
def table(zone: str, name: str, lh: LakehouseDep, queries: QueriesDep) -> dict[str, Any]:
    ref = known_table(lh.catalog, zone, name)
    return {
        **table_summary(lh.catalog, ref),
        "columns": table_columns(lh, queries, ref),
        "snapshots": snapshots(lh.catalog, ref),
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
    ref = known_table(lh.catalog, zone, name)
    if as_of is None:
        return json_response(queries.run(f"SELECT * FROM {_quoted(ref)}", limit))
    snapshot = snapshot_as_of(lh.catalog, ref, as_of)
    result = sample_rows(lh, queries, ref, limit, snapshot["snapshot_id"])
    # The id as text too: JavaScript's numbers lose the last digits of a 64-bit id.
    return json_response(result, as_of={**snapshot, "snapshot": str(snapshot["snapshot_id"])})


@router.get("/api/tables/{zone}/{name}/profile", summary="A table's latest stored profile")
def get_profile(zone: str, name: str, lh: LakehouseDep, queries: QueriesDep) -> Profile:
    ref = known_table(lh.catalog, zone, name)
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
)
def post_profile(zone: str, name: str, lh: LakehouseDep, queries: QueriesDep) -> Profile:
    from lakebox.quality.profile import profile

    ref = known_table(lh.catalog, zone, name)
    with queries.lock:
        return Profile.of(profile(lh, ref.identifier))


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
    return quarantine(lh, queries, known_table(lh.catalog, zone, name), limit)


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


def described(lh: Lakehouse, ref: TableRef, column: str) -> str | None:
    """Return a column's description from lakebox.yaml (formatted tables of sources)."""
    source = lh.config.formatted_sources.get(ref.name) if ref.zone == "formatted" else None
    config = source.columns.get(column) if source else None
    return config.description if config else None


def sample_rows(
    lh: Lakehouse, queries: QueryService, ref: TableRef, limit: int, snapshot_id: int
) -> QueryResult:
    """Return up to `limit` rows of `ref` as of one of its snapshots."""
    location = lh.catalog.metadata_locations()[ref]
    scan = snapshot_scan(location, snapshot_id=snapshot_id)
    return trusted(queries, f"SELECT * FROM {scan}", limit)


def stored_profile(lh: Lakehouse, queries: QueryService, ref: TableRef) -> Profile | None:
    """Return the newest profile of `ref` in ops.profiles, or None."""
    from lakebox.quality.profile import latest_profile

    with queries.lock:
        found = latest_profile(lh, ref.identifier)
    return Profile.of(found) if found is not None else None


def quarantine(lh: Lakehouse, queries: QueryService, ref: TableRef, limit: int) -> Quarantine:
    """Return the quarantine of formatted table `ref`: reasons with counts, latest rows first."""
    return Quarantine.model_validate(vars(quarantined.quarantine(lh, queries.catalog, ref, limit)))


def _quoted(ref: TableRef) -> str:
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
