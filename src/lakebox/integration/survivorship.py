"""The golden record of each cluster: one SQL aggregate per column, chosen by its rule.

Every rule skips NULLs, so a value missing in the winning record is taken from the next one.
Ties end the same way each time: most recent, then lowest priority number, then source
table and id.
"""

from __future__ import annotations

from collections.abc import Callable

from lakebox.config import EntityConfig
from lakebox.ground.sql import quote_identifier

# Columns every member row carries next to the entity's own (see entities._records_sql).
RECORDED_AT = "_recorded_at"
TIE_BREAK = "priority, source_table, source_id"


def most_recent(column: str) -> str:
    """Return the value of the record updated last."""
    return _first(column, f"{RECORDED_AT} DESC NULLS LAST, {TIE_BREAK}")


def most_frequent(column: str) -> str:
    """Return the value most records hold (ties: the most recent, then priority)."""
    count = quote_identifier(_count_column(column))
    return _first(column, f"{count} DESC, {RECORDED_AT} DESC NULLS LAST, {TIE_BREAK}")


def source_priority(column: str) -> str:
    """Return the value of the source with the lowest priority number (ties: most recent)."""
    return _first(column, f"priority, {RECORDED_AT} DESC NULLS LAST, source_table, source_id")


RULES: dict[str, Callable[[str], str]] = {
    "most_recent": most_recent,
    "most_frequent": most_frequent,
    "source_priority": source_priority,
}


def golden_sql(members: str, entity: EntityConfig) -> str:
    """Return the SELECT of one golden row per cluster of `members` (one row per record
    with cluster_id, source_table, source_id, priority, _recorded_at and the columns)."""
    chosen = [
        f"{RULES[entity.survivorship.rule(column)](column)} AS {quote_identifier(column)}"
        for column in entity.columns
    ]
    return (
        f"SELECT cluster_id, {', '.join(chosen)}, count(*) AS records, "
        f"count(DISTINCT source_table) AS sources FROM ({_counted(members, entity)}) "
        "GROUP BY cluster_id"
    )


def _counted(members: str, entity: EntityConfig) -> str:
    """Return `members` with, per most_frequent column, how many records share the value."""
    counts = [
        f"count(*) OVER (PARTITION BY cluster_id, {quote_identifier(column)}) "
        f"AS {quote_identifier(_count_column(column))}"
        for column in entity.columns
        if entity.survivorship.rule(column) == "most_frequent"
    ]
    return f"SELECT {', '.join(['*', *counts])} FROM {members}"


def _first(column: str, order: str) -> str:
    name = quote_identifier(column)
    return f"first({name} ORDER BY {order}) FILTER (WHERE {name} IS NOT NULL)"


def _count_column(column: str) -> str:
    return f"_holding_{column}"
