"""The table page's dictionary section: the docs of the table and of the columns the user
reads (where each comes from, what is inherited), the history of their edits, and the edit
form for users given `describe` (it sends `PUT /api/dictionary/...` with the page's CSRF
token)."""

from __future__ import annotations

from typing import Any

from lakebox.catalog import TableRef
from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dictionary import entry_view
from lakebox.serving.queries import QueryService


def dictionary_section(lh: Lakehouse, queries: QueryService, ref: TableRef) -> dict[str, Any]:
    """Return the section's part of the table page's context: `dictionary` (the table's docs,
    or None with `dictionary_problem` saying why not) and the glossary's terms."""
    try:
        view = entry_view(lh, queries.principal, ref)
    except LakeboxError as error:  # e.g. a model's docs file that does not parse
        problem = {"message": error.message, "hint": error.hint}
        return {"dictionary": None, "dictionary_problem": problem, "glossary_terms": []}
    terms = sorted(lh.config.glossary.terms, key=str.casefold)
    return {
        "dictionary": view,
        "dictionary_problem": None,
        "dictionary_settings": settings(view),
        "glossary_terms": terms,
    }


def settings(view: dict[str, Any]) -> dict[str, Any]:
    """Return what the edit form starts from: the table's name, and for the table ("") and
    each column what is its own (not inherited) and which fields an edit sets."""
    entries = {"": view, **{column["column"]: column for column in view["columns"]}}
    return {
        "table": view["table"],
        "entries": {name: _own(entry) for name, entry in entries.items()},
    }


def _own(entry: dict[str, Any]) -> dict[str, Any]:
    inherited = entry["described_by"] == "inherited"
    return {
        "description": None if inherited else entry["description"],
        "owner": entry.get("owner"),
        "tags": entry["tags"],
        "terms": [] if entry["terms_from"] else entry["terms"],
        "edited": entry["edited_fields"],
    }
