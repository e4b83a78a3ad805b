"""Reading a source's quarantine, `quarantine.<source>`: how many rows were held for each
reason, and the latest rows held with their reasons, as JSON-ready values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakebox.catalog import TableRef
from lakebox.catalog.summaries import table_summary
from lakebox.engine import Read
from lakebox.engine.values import python_rows
from lakebox.errors import CatalogError
from lakebox.ground.json import json_ready
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse

QUARANTINE_COLUMNS = "_reason, _column, _raw, _source_file, _source_line, _batch_id, _ingested_at"


@dataclass
class QuarantineListing:
    """The quarantine table of a formatted table's source: reasons, then the latest rows."""

    table: str
    total_rows: int
    reasons: list[dict[str, Any]]
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    truncated: bool


def quarantine(lh: Lakehouse, read: Read, ref: TableRef, limit: int) -> QuarantineListing:
    """Return the quarantine of formatted table `ref`: reasons with counts, latest rows first."""
    if ref.zone != "formatted":
        raise CatalogError(
            f"{ref.identifier} is not a formatted table: only sources have a quarantine",
            hint="ask for formatted.<source>, e.g. GET /api/tables/formatted/<source>/quarantine",
        )
    held = TableRef("quarantine", ref.name)
    if held not in lh.catalog.metadata_locations():
        return QuarantineListing(held.identifier, 0, [], [], [], truncated=False)
    quoted = f"{quote_identifier(held.zone)}.{quote_identifier(held.name)}"
    reasons = read(
        f"SELECT _column AS column, _reason AS reason, count(*) AS rows FROM {quoted} "
        "GROUP BY ALL ORDER BY rows DESC, reason LIMIT 100"
    ).to_pylist()
    latest = read(
        f"SELECT * FROM (SELECT {QUARANTINE_COLUMNS} FROM {quoted} "
        f"ORDER BY _ingested_at DESC, _source_file, _source_line) LIMIT {int(limit) + 1}"
    )
    shown = latest.slice(0, limit)
    return QuarantineListing(
        table=held.identifier,
        total_rows=table_summary(lh.catalog, held)["rows"],
        reasons=reasons,
        columns=[{"name": f.name, "type": str(f.type)} for f in shown.schema],
        rows=json_ready(python_rows(shown)),
        truncated=latest.num_rows > limit,
    )
