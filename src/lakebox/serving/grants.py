"""What the HTTP doors show a user of lakebox's own reads (table listings and details,
profiles, time travel, the analysis and ops readers): only the tables their grants let them
read, a refusal otherwise (403 naming the missing grant, written to the audit log), and the
rows of a table they see in part (column grants, masks, row filters) only through their
secured relation — never a clear value.

Three ways a door reads for a user:
- `reading(queries)`: lakebox's reader SQL run as the user's (`QueryService.run` with no
  ability needed), so it is refused, masked and filtered exactly as their own SQL would be;
- `secured_source(queries, ref, source)`: the user's view of one table over any FROM item
  (e.g. a snapshot's scan), for lakebox's engine;
- `require_whole(queries, *refs)`: for readers that only run on lakebox's engine (run
  history, the model registry, stored check results), refused unless the user reads those
  tables whole and as they are."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from lakebox.access.audit import AuditEntry
from lakebox.access.principal import Principal
from lakebox.access.secure import Relation, secured_select, table_refusal
from lakebox.catalog import TableRef
from lakebox.engine import Read
from lakebox.errors import AccessDenied, QueryError
from lakebox.ground.sql import quote_identifier
from lakebox.serving.queries import MAX_ROW_LIMIT, QueryService


def readable_tables(principal: Principal, refs: Iterable[TableRef]) -> list[TableRef]:
    """Return those of `refs` that `principal` may read (whole or some columns)."""
    return [ref for ref in refs if principal.may_read_table(ref.zone, ref.name)]


def filters_rows(principal: Principal, ref: TableRef) -> bool:
    """Whether row filters hide some rows of `ref` from `principal` (then its row counts are
    not shown: they would tell how many rows it holds)."""
    return bool(principal.row_filters(ref.zone, ref.name))


def refuse_unreadable(queries: QueryService, ref: TableRef, action: str = "read table") -> None:
    """Refuse (AccessDenied, audited) a user who may not read `ref` at all."""
    principal = queries.principal
    if principal.may_read_table(ref.zone, ref.name):
        return
    error = table_refusal(principal, ref.zone, ref.name)
    record(queries, action, [ref.identifier], outcome="refused", detail=error.message)
    raise error


def sees_whole(queries: QueryService, ref: TableRef) -> bool:
    """Whether the user reads every column of `ref`, unmasked, and every row."""
    principal = queries.principal
    if not principal.restricted:
        return True
    if not principal.may_read_table(ref.zone, ref.name):
        return False
    tables = queries.relations.of(queries.lh)[0]
    relation = tables.get((ref.zone.lower(), ref.name.lower()))
    if relation is None:  # not made yet: only its row filters can hide anything
        return not filters_rows(principal, ref)
    try:
        return secured_select(principal, relation) is None
    except AccessDenied:
        return False


def require_whole(queries: QueryService, *refs: TableRef) -> None:
    """Refuse (AccessDenied, audited) a user who may not read each of `refs` whole: a door
    showing what lakebox reads itself cannot apply column grants, masks or row filters."""
    for ref in refs:
        refuse_unreadable(queries, ref)
        if sees_whole(queries, ref):
            continue
        principal = queries.principal
        error = AccessDenied(
            f"{principal.name} may read {ref.identifier} only in part (column grants, masks "
            "or row filters), and this shows it whole",
            hint="read the table with SQL, which applies them; or ask an admin for a grant "
            "of all of it",
            table=ref.identifier,
        )
        record(queries, "read table", [ref.identifier], outcome="refused", detail=error.message)
        raise error


def reading(queries: QueryService) -> Read:
    """Return a `Read` running lakebox's reader SQL as the user's own (on the reader, within
    the query limits, audited as "read table"): refused, masked and filtered as their SQL
    would be; positional `?` parameters are bound."""

    def read(sql: str, parameters: list[object] | None = None) -> pa.Table:
        result = queries.run(
            sql, MAX_ROW_LIMIT, parameters=parameters, ability=None, action="read table"
        )  # type: ignore[arg-type]  # a list binds by position
        if result.truncated:
            raise QueryError(
                "the answer is larger than the server sends",
                hint="ask for fewer rows (limit), or raise serve.max_result_bytes",
            )
        return result.table

    return read


def secured_source(queries: QueryService, ref: TableRef, source: str | None = None) -> str | None:
    """Return the FROM item giving the user their view of `ref`'s rows read from `source`
    (default: the table now) — for lakebox's engine, its mask functions made ready — or None
    when they see it whole. Refuse (audited) a user who may not read it."""
    principal = queries.principal
    if not principal.restricted:
        return None
    refuse_unreadable(queries, ref)
    columns = _described(queries, source or quoted(ref))
    if source is not None and {c for c, _ in columns} != {
        c for c, _ in _described(queries, quoted(ref))
    }:
        # masks and grants name today's columns: a renamed one would come back in the clear
        raise AccessDenied(
            f"{ref.identifier} had other columns at that snapshot; {principal.name} reads it "
            "only in part, as of its present columns",
            hint="read the table as it is now, or ask an admin to read the old snapshot",
        )
    source = source or quoted(ref)
    secured = secured_select(principal, Relation(ref.zone, ref.name, columns), source)
    if secured is None:
        return None
    with queries.lock:
        queries.access.prepare(queries.lh.engine.connection)
    return f"({secured})"


def _described(queries: QueryService, source: str) -> tuple[tuple[str, str], ...]:
    described = queries.catalog(f"DESCRIBE SELECT * FROM {source}").to_pylist()
    return tuple((row["column_name"], row["column_type"]) for row in described)


def record(
    queries: QueryService,
    action: str,
    tables: list[str],
    columns: Iterable[str] = (),
    rows: int | None = None,
    started: float | None = None,
    outcome: str = "ok",
    detail: str | None = None,
) -> None:
    """Write what the user did through this door to the audit log."""
    elapsed = None if started is None else round((time.monotonic() - started) * 1000, 3)
    queries.access.record(
        AuditEntry(
            queries.principal.name,
            queries.door,
            action,
            tables=tables,
            columns=list(columns),
            rows=rows,
            duration_ms=elapsed,
            client=queries.client,
            outcome=outcome,
            detail=detail,
        )
    )


def quoted(ref: TableRef) -> str:
    """Return `zone.table` quoted for SQL."""
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"


def table_columns_of(ref: TableRef, names: Iterable[Any]) -> list[str]:
    """Return the audit log's names of columns `names` of `ref`: zone.table.column."""
    return [f"{ref.identifier}.{name}" for name in names]
