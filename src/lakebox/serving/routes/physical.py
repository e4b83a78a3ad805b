"""A table's physical metadata (`lakebox.governance.physical`) over HTTP, as its user may see
it: refused (403, audited) when they may not read the table, only the columns they read,
no row counts under their row filters, the landing objects only to a user reading
`landing.manifest` whole (its column grants, masks and row filters cannot apply here),
and only the input tables they read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from lakebox.catalog import TableRef
from lakebox.governance.physical import SNAPSHOTS_SHOWN, Physical, describe
from lakebox.governance.physical_view import MANIFEST, narrowed
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.grants import filters_rows, sees_whole
from lakebox.serving.queries import QueryService
from lakebox.serving.routes.tables import granted_table

router = APIRouter()
MAX_SNAPSHOTS = 1_000


@router.get(
    "/api/tables/{zone}/{name}/physical",
    summary="A table's physical metadata: reader settings, schema versions, files, snapshots",
    description="How its source's files are read (each setting detected, configured or a "
    "default), its Iceberg schema versions (columns added, widened), partitioning, the data "
    "files of its current snapshot, and its newest snapshots with the landing objects (or, "
    "for a model, the input snapshots) behind each.",
)
def physical(
    zone: str,
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    snapshots: Annotated[int, Query(ge=1, le=MAX_SNAPSHOTS)] = SNAPSHOTS_SHOWN,
) -> dict[str, Any]:
    ref = granted_table(lh, queries, zone, name)
    return asdict(physical_of(lh, queries, ref, snapshots))


def physical_of(lh: Lakehouse, queries: QueryService, ref: TableRef, snapshots: int) -> Physical:
    """Return the physical metadata of `ref` (which the user may read) as they may see it."""
    who = queries.principal
    found = describe(lh, ref, snapshots)
    if not who.restricted:
        return found
    names = list(dict.fromkeys(c.name for v in found.schemas for c in v.columns))
    columns = set(who.readable_columns(ref.zone, ref.name, names))

    def readable(table: str) -> bool:
        zone, _, rest = table.partition(".")
        if table == MANIFEST:  # shown whole: its column grants, masks and filters cannot apply
            return sees_whole(queries, TableRef(zone, rest))
        return who.may_read_table(zone, rest)

    return narrowed(found, columns, readable, filters_rows(who, ref))
