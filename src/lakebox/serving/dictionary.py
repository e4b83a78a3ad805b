"""What the dictionary doors (its API routes and the table page's section) show a user: the
docs of a table and of the columns they read, the history of their edits, and whether they
may edit them — and the edit itself, checked and audited."""

from __future__ import annotations

from typing import Any

from lakebox.access.audit import AuditEntry
from lakebox.access.principal import Principal
from lakebox.access.secure import table_refusal
from lakebox.catalog import TableRef
from lakebox.errors import AccessDenied, CatalogError
from lakebox.governance import edits
from lakebox.governance.dictionary import Dictionary, dictionary
from lakebox.governance.editing import edit, entry_docs, may_describe
from lakebox.lakehouse import Lakehouse
from lakebox.serving.grants import record, refuse_unreadable
from lakebox.serving.lineage import cached_graph
from lakebox.serving.queries import QueryService

MAX_NAME = 300


def readable_dictionary(lh: Lakehouse, who: Principal) -> Dictionary:
    """Return the dictionary of the tables and columns `who` may read (over the project's
    lineage graph kept between requests)."""
    return dictionary(lh, cached_graph(lh)).narrowed(who)


def table_ref(table: str) -> TableRef:
    """Return the table named `zone.table`, or raise CatalogError (404) for another shape."""
    zone, dot, name = table.partition(".")
    if not dot or not zone or not name or len(table) > MAX_NAME:
        raise CatalogError(f"no table {table[:MAX_NAME]!r}", hint="name a table zone.table")
    return TableRef(zone, name)


def refuse_column(queries: QueryService, ref: TableRef, column: str, action: str) -> None:
    """Refuse (AccessDenied, audited) a user who may not read `column` of `ref` (whether or
    not it exists: the grant is checked first)."""
    who = queries.principal
    if who.readable_columns(ref.zone, ref.name, [column]):
        return
    error = AccessDenied(
        f"{who.name} may not read column {ref.identifier}.{column[:MAX_NAME]}: no grant of "
        f"read on it in their roles ({', '.join(who.roles) or 'none'})",
        hint="an admin can grant it under access.roles in lakebox.yaml",
        table=ref.identifier,
    )
    record(queries, action, [ref.identifier], outcome="refused", detail=error.message)
    raise error


def entry_view(lh: Lakehouse, who: Principal, ref: TableRef, column: str = "") -> dict[str, Any]:
    """Return the docs of `ref` (with its readable columns) or of its `column`, the history
    of their edits and whether `who` may edit them; raise CatalogError (404) when unknown."""
    found = readable_dictionary(lh, who)
    docs = entry_docs(found, ref.identifier, column)
    entry = docs.column(column) if column else docs.entry
    assert entry is not None
    shown = {c.column for c in docs.columns} | {""}
    history = edits.history(lh.catalog.sql_engine, ref.identifier, column if column else None)
    view = {
        **entry.row(),
        "history": [_edit_row(item) for item in history if item.column in shown],
        "may_edit": may_describe(who, ref.identifier, column),
    }
    if not column:
        view["columns"] = [c.row() for c in docs.columns]
    return view


def _edit_row(item: edits.Edit) -> dict[str, Any]:
    return {
        "at": item.at,
        "author": item.author,
        "column": item.column or None,
        "field": item.field,
        "value": item.value,
    }


def apply_edit(
    lh: Lakehouse, queries: QueryService, ref: TableRef, column: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Keep a user's edit of `ref` (or its `column`) — refused unless they read it and hold
    the ability `describe` — audited as a "dictionary edit"; return the entry as it now is."""
    who = queries.principal
    action = "dictionary edit"
    if not who.may_read_table(ref.zone, ref.name):
        refusal = table_refusal(who, ref.zone, ref.name)
        record(queries, action, [ref.identifier], outcome="refused", detail=refusal.message)
        raise refusal
    if column:
        refuse_column(queries, ref, column, action)
    if not may_describe(who, ref.identifier, column):
        error = AccessDenied(
            f"{who.name} may not edit the dictionary: no grant of 'describe' in their roles "
            f"({', '.join(who.roles) or 'none'})",
            hint="an admin can grant it under access.roles (can: [describe]) in lakebox.yaml",
        )
        record(queries, action, [ref.identifier], outcome="refused", detail=error.message)
        raise error
    entry_docs(readable_dictionary(lh, who), ref.identifier, column)  # 404 when unknown
    made = edit(lh, who.name, ref.identifier, column, changes)
    target = f"{ref.identifier}.{column}" if column else ref.identifier
    detail = f"{', '.join(e.field for e in made)} of {target}"
    queries.access.record(
        AuditEntry(who.name, queries.door, action, tables=[ref.identifier],
                   columns=[target] if column else [], client=queries.client, detail=detail)
    )  # fmt: skip
    return entry_view(lh, who, ref, column)


def read_entry(
    lh: Lakehouse, queries: QueryService, table: str, column: str = ""
) -> dict[str, Any]:
    """Return `entry_view` for the user of `queries`, refused (audited) unless they read the
    table (and the column)."""
    ref = table_ref(table)
    refuse_unreadable(queries, ref, "read table")
    if column:
        refuse_column(queries, ref, column, "read table")
    return entry_view(lh, queries.principal, ref, column)
