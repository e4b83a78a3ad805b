"""The catalog: every zone's tables, and a page per table (columns, profile, sample rows,
snapshot history with time travel, quarantine and check results)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.access.audit import AuditEntry
from lakebox.access.principal import Principal
from lakebox.catalog import TableRef
from lakebox.catalog.summaries import all_tables, known_table, table_summary
from lakebox.errors import CatalogError, QueryError
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.encoding import json_body
from lakebox.serving.grants import filters_rows
from lakebox.serving.grants import readable_tables as readable
from lakebox.serving.queries import QueryService
from lakebox.serving.routes.tables import (
    Profile,
    ProfiledColumn,
    Quarantine,
    history_of,
    quarantine,
    stored_profile,
    summary_of,
    table_columns,
)
from lakebox.serving.ui.pages.dictionary import dictionary_section
from lakebox.serving.ui.pages.grants import (
    first_refusal,
    hidden_parts,
    refused,
    table_refusal,
)
from lakebox.serving.ui.pages.overview import latest_checks, shown_checks
from lakebox.serving.ui.pages.physical import physical_context
from lakebox.serving.ui.templating import project, render

SAMPLE_ROWS = 100
QUARANTINE_ROWS = 50


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/catalog")
def listing(request: Request, lh: LakehouseDep, who: PrincipalDep) -> HTMLResponse:
    return render(request, "catalog.html", "catalog", zones=zones(lh, who), **project(lh))


@router.get("/catalog/{zone}/{name}")
def table(
    request: Request,
    zone: str,
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    who: PrincipalDep,
    as_of: str | None = None,
) -> HTMLResponse:
    refusal = table_refusal(who, TableRef(zone, name))  # before existence: one answer
    if refusal is not None:
        queries.access.record(AuditEntry(who.name, "ui", "read table", tables=[f"{zone}.{name}"],
                                         client=queries.client, outcome="refused",
                                         detail=refusal.message))  # fmt: skip
        return refused(request, lh, refusal, "catalog")
    try:
        ref = known_table(lh.catalog, zone, name)
    except CatalogError as error:
        return render(
            request, "missing.html", "catalog", error=error, status_code=404, **project(lh)
        )
    context = {**table_context(lh, queries, ref), **dictionary_section(lh, queries, ref)}
    return render(request, "table.html", "catalog", as_of=as_of, **context, **project(lh))


def zones(lh: Lakehouse, who: Principal) -> list[tuple[str, list[dict[str, Any]]]]:
    """Return (zone, its tables' summaries) for every zone, in zone order: the tables `who`
    may read."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for ref in readable(who, all_tables(lh.catalog)):
        summary = table_summary(lh.catalog, ref)
        if filters_rows(who, ref):  # the count would tell how many rows the filter hides
            summary["rows"] = None
        grouped.setdefault(ref.zone, []).append(summary)
    return sorted(grouped.items())


def table_context(lh: Lakehouse, queries: QueryService, ref: TableRef) -> dict[str, Any]:
    """Return what the table page shows of `ref` to the user `queries` runs as: the columns
    they may read, the profile of those they read in the clear (none under a row filter),
    the first rows read as them (masked and filtered), the quarantine if they read it whole."""
    who = queries.principal
    all_columns = table_columns(lh, queries, ref)
    names = [column["name"] for column in all_columns]
    granted = set(who.readable_columns(ref.zone, ref.name, names))
    hidden = hidden_parts(who, ref, names)
    clear = (
        {name for name in granted if who.mask_of(ref.zone, ref.name, name) is None}
        if not who.row_filters(ref.zone, ref.name)
        else set()
    )
    profile = stored_profile(lh, queries, ref) if not filters_rows(who, ref) else None
    columns = [
        {**column, "mask": _mask(who, ref, column["name"])}
        for column in all_columns
        if column["name"] in granted
    ]
    return {
        "summary": summary_of(lh, queries, ref),
        "columns": profiled_columns(columns, profile, clear),
        "profile": profile,
        "hidden": hidden,
        "snapshots": list(reversed(history_of(lh, queries, ref))),
        "quarantine": _quarantine(lh, queries, ref) if ref.zone == "formatted" else None,
        "checks": shown_checks(lh, who, latest_checks(lh, queries, ref.identifier)),
        "console_sql": f"SELECT * FROM {ref.identifier} LIMIT {SAMPLE_ROWS}",
        "sample_rows": SAMPLE_ROWS,
        **first_rows(queries, ref),
        "time_travel": not hidden,
        "may_query": who.can("query"),
        "may_profile": who.can("runs"),
        **physical_context(lh, queries, ref),
    }


def first_rows(queries: QueryService, ref: TableRef) -> dict[str, Any]:
    """Return the table's first rows as the user reads them (masks and row filters apply),
    in the API's JSON shape (`current_rows`), or why they could not be read (`rows_problem`)."""
    try:
        result = queries.run(
            f"SELECT * FROM {_quoted(ref)}", SAMPLE_ROWS, ability=None, action="read table"
        )
    except QueryError as error:
        return {
            "current_rows": None,
            "rows_problem": {"message": error.message, "hint": error.hint},
        }
    return {"current_rows": json_body(result), "rows_problem": None}


def _quarantine(lh: Lakehouse, queries: QueryService, ref: TableRef) -> Quarantine | None:
    """Return the quarantine of formatted `ref`: all of it when the user reads both tables
    whole and in the clear, its total only when parts are hidden, None when not granted."""
    who = queries.principal
    held = TableRef("quarantine", ref.name)
    if not who.may_read_table(held.zone, held.name):
        return None
    found = quarantine(lh, queries, ref, QUARANTINE_ROWS)
    if first_refusal(lh, who, [ref, held]) is None:
        return found
    return found.model_copy(update={"reasons": [], "rows": [], "columns": []})


def _mask(who: Principal, ref: TableRef, column: str) -> str | None:
    mask = who.mask_of(ref.zone, ref.name, column)
    return None if mask is None else f"{mask.kind} ({mask.rule})"


def _quoted(ref: TableRef) -> str:
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"


def profiled_columns(
    columns: list[dict[str, Any]], profile: Profile | None, clear: set[str] | None = None
) -> list[dict[str, Any]]:
    """Return the columns, each with its profile (None when not profiled, or not among the
    `clear` columns the user reads unmasked and unfiltered) and histogram bars."""
    profiles = {
        column.name: column
        for column in (profile.columns if profile else [])
        if clear is None or column.name in clear
    }
    return [
        {
            **column,
            "profile": profiles.get(column["name"]),
            "bars": bars(profiles[column["name"]]) if column["name"] in profiles else [],
        }
        for column in columns
    ]


def bars(column: ProfiledColumn) -> list[dict[str, Any]]:
    """Return a histogram's bins as bars: bounds, count and height in percent of the highest."""
    highest = max((count for _, _, count in column.histogram), default=0)
    return [
        {"lower": lower, "upper": upper, "count": count, "height": _percent(count, highest)}
        for lower, upper, count in column.histogram
    ]


def _percent(count: int, highest: int) -> int:
    return max(2, round(100 * count / highest)) if count and highest else 0
