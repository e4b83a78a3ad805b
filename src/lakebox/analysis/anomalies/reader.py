"""Reading `analytics.anomalies`: the incidents matching filters (a rule, a severity, text in
the entity, days), with counts per rule and severity and per day, the latest first.

The reader runs lakebox's own SQL through `read` (the HTTP API passes its QueryService's
`catalog`, which holds the engine lock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lakebox.analysis.anomalies.store import ANOMALIES, SEVERITIES
from lakebox.analysis.forecast.reader import finite
from lakebox.engine import Read
from lakebox.ground.sql import quote_literal
from lakebox.lakehouse import Lakehouse

# The most severe first.
SEVERITY_ORDER = (
    f"list_position([{', '.join(quote_literal(s) for s in reversed(SEVERITIES))}], severity)"
)


@dataclass(frozen=True)
class AnomalyFilters:
    """Which anomalies to show: a rule (name or kind), a severity, text in the entity, days."""

    rule: str | None = None
    severity: str | None = None
    entity: str | None = None
    since: date | None = None
    until: date | None = None

    def where(self) -> tuple[str, list[object]]:
        """Return the filters as a SQL condition and its parameters."""
        given = [
            ("(rule_name = ? OR rule = ?)", [self.rule, self.rule], self.rule),
            ("severity = ?", [self.severity], self.severity),
            ("contains(lower(entity), lower(?))", [self.entity], self.entity),
            ("CAST(ts_end AS DATE) >= ?", [self.since], self.since),
            ("CAST(ts AS DATE) <= ?", [self.until], self.until),
        ]
        chosen = [(sql, values) for sql, values, value in given if value]
        condition = " AND ".join(sql for sql, _ in chosen) or "TRUE"
        return condition, [value for _, values in chosen for value in values]


@dataclass
class AnomalyListing:
    """The anomalies that match the filters: how many, counts per rule and severity, per day
    and severity, the latest rows (numbers that JSON cannot hold as None)."""

    total: int
    counts: list[dict[str, Any]]
    by_day: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    truncated: bool


def anomalies(lh: Lakehouse, read: Read, filters: AnomalyFilters, limit: int) -> AnomalyListing:
    """Return the stored anomalies matching `filters`: counts, per day, the latest `limit`."""
    if ANOMALIES not in lh.catalog.metadata_locations():
        return AnomalyListing(total=0, counts=[], by_day=[], rows=[], truncated=False)
    where, parameters = filters.where()
    table = ANOMALIES.identifier
    counts = read(
        f"SELECT rule_name, table_name, severity, count(*) AS count FROM {table} "
        f"WHERE {where} GROUP BY rule_name, table_name, severity "
        f"ORDER BY rule_name, {SEVERITY_ORDER}",
        parameters,
    ).to_pylist()
    days = read(
        f"SELECT CAST(ts AS DATE) AS day, severity, count(*) AS count FROM {table} "
        f"WHERE {where} GROUP BY day, severity ORDER BY day, {SEVERITY_ORDER}",
        parameters,
    ).to_pylist()
    found = read(
        f"SELECT * FROM {table} WHERE {where} "
        f"ORDER BY ts DESC, {SEVERITY_ORDER}, rule_name, entity LIMIT {int(limit) + 1}",
        parameters,
    ).to_pylist()
    return AnomalyListing(
        total=sum(count["count"] for count in counts),
        counts=counts,
        by_day=days,
        rows=[_anomaly(row) for row in found[:limit]],
        truncated=len(found) > limit,
    )


def _anomaly(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **{key: finite(row.get(key)) for key in ("value", "expected", "deviation")}}
