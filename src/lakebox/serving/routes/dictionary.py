"""The dictionary endpoints: a table's or a column's docs (description, owner, tags, glossary
terms, where each comes from) with the history of their edits; editing them (the ability
`describe`); and search over the dictionary and the glossary — each showing only the tables
and columns the user reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from lakebox.config.docs import MAX_DESCRIPTION, MAX_ITEMS, MAX_OWNER
from lakebox.governance.search import LIMIT, MAX_TEXT, search
from lakebox.serving.dependencies import LakehouseDep, QueriesDep
from lakebox.serving.dictionary import apply_edit, read_entry, readable_dictionary, table_ref

router = APIRouter()
EDIT_HELP = (
    "Send only the fields to change; null gives a field back to what is declared beside the "
    "code. Needs the ability describe and a read grant on the table (and column)."
)


class EntryEdit(BaseModel):
    """An edit of a table's or a column's docs: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    owner: str | None = Field(default=None, max_length=MAX_OWNER)
    tags: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=MAX_ITEMS
    )
    terms: list[Annotated[str, Field(max_length=80)]] | None = Field(
        default=None, max_length=MAX_ITEMS
    )

    def changes(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name in self.model_fields_set
        }


@router.get("/api/dictionary/{table}", summary="A table's docs, its columns' and their edits")
def table_docs(table: str, lh: LakehouseDep, queries: QueriesDep) -> dict[str, Any]:
    return read_entry(lh, queries, table)


@router.get("/api/dictionary/{table}/{column}", summary="A column's docs and their edits")
def column_docs(table: str, column: str, lh: LakehouseDep, queries: QueriesDep) -> dict[str, Any]:
    return read_entry(lh, queries, table, column)


@router.put("/api/dictionary/{table}", summary="Edit a table's docs", description=EDIT_HELP)
def edit_table(
    table: str, body: EntryEdit, lh: LakehouseDep, queries: QueriesDep
) -> dict[str, Any]:
    return apply_edit(lh, queries, table_ref(table), "", body.changes())


@router.put(
    "/api/dictionary/{table}/{column}", summary="Edit a column's docs", description=EDIT_HELP
)
def edit_column(
    table: str, column: str, body: EntryEdit, lh: LakehouseDep, queries: QueriesDep
) -> dict[str, Any]:
    return apply_edit(lh, queries, table_ref(table), column, body.changes())


@router.get("/api/search", summary="Tables, columns and glossary terms matching a text, ranked")
def find(
    lh: LakehouseDep,
    queries: QueriesDep,
    q: Annotated[str, Query(max_length=MAX_TEXT, description="the text to look for")],
    limit: Annotated[int, Query(ge=1, le=200)] = LIMIT,
) -> dict[str, Any]:
    found = readable_dictionary(lh, queries.principal)
    hits = search(q, found, lh.config.glossary, limit)
    return {"q": q, "hits": [hit.row() for hit in hits]}
