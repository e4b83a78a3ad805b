"""Edits of the dictionary made in the UI or the API, kept in the catalog database (SQLite by
default, PostgreSQL for teams) as history: each edit of one field of a table or a column is a
row with its author and time. The latest edit of a field overrides what is declared beside
the code; an edit to null gives the field back to its declaration."""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

FIELDS = ("description", "owner", "tags", "terms")
TABLE_FIELDS = FIELDS
COLUMN_FIELDS = ("description", "tags", "terms")

_metadata = sa.MetaData()
edits_table = sa.Table(
    "lakebox_dictionary_edits",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("table_name", sa.String(300), nullable=False, index=True),  # zone.table
    sa.Column("column_name", sa.String(300), nullable=False),  # "" for the table itself
    sa.Column("field", sa.String(16), nullable=False),
    sa.Column("value", sa.Text),  # JSON: text or a list of text; NULL gives it back
)
_READY: weakref.WeakSet[sa.Engine] = weakref.WeakSet()
_READY_LOCK = threading.Lock()
# a value of a field: text, a list of text, or None (back to the declared value)
Value = str | list[str] | None


@dataclass(frozen=True)
class Edit:
    """One edit of one field."""

    at: datetime
    author: str
    table: str
    column: str  # "" for the table
    field: str
    value: Value


def ready(engine: sa.Engine) -> sa.Engine:
    """Return `engine` with the edits table created (once per engine and process)."""
    with _READY_LOCK:
        if engine not in _READY:
            _metadata.create_all(engine, checkfirst=True)
            _READY.add(engine)
    return engine


def record(
    engine: sa.Engine, author: str, table: str, column: str, changes: dict[str, Value]
) -> list[Edit]:
    """Keep the edits of `changes` (field → new value) of `table` (or its `column`) by
    `author`, all at one time; return them."""
    at = datetime.now(UTC)
    made = [Edit(at, author, table, column, field, value) for field, value in changes.items()]
    rows = [_row(edit) for edit in made]
    if rows:
        with ready(engine).begin() as connection:
            connection.execute(edits_table.insert(), rows)
    return made


def _row(edit: Edit) -> dict[str, Any]:
    return {
        "at": edit.at,
        "author": edit.author[:64],
        "table_name": edit.table,
        "column_name": edit.column,
        "field": edit.field,
        "value": None if edit.value is None else json.dumps(edit.value),
    }


def history(engine: sa.Engine, table: str, column: str | None = None) -> list[Edit]:
    """Return every edit of `table` (and its columns; or of one `column`, "" for the table
    itself), newest first."""
    query = edits_table.select().where(edits_table.c.table_name == table)
    if column is not None:
        query = query.where(edits_table.c.column_name == column)
    with ready(engine).connect() as connection:
        rows = connection.execute(query.order_by(edits_table.c.id.desc()))
        return [_edit(row) for row in rows]


def latest(engine: sa.Engine) -> dict[tuple[str, str], dict[str, Edit]]:
    """Return the latest edit of every field edited, by (table, column) then field; an edit
    to null is kept (it says the field is back to its declaration)."""
    found: dict[tuple[str, str], dict[str, Edit]] = {}
    with ready(engine).connect() as connection:
        for row in connection.execute(edits_table.select().order_by(edits_table.c.id)):
            edit = _edit(row)
            found.setdefault((edit.table, edit.column), {})[edit.field] = edit
    return found


def _edit(row: sa.Row[Any]) -> Edit:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    value = None if row.value is None else json.loads(row.value)
    return Edit(at, row.author, row.table_name, row.column_name, row.field, value)
