"""Editing the dictionary: who may (the ability `describe`, and a read grant on what they
describe), and an edit checked before it is kept — known fields only, tags as the project
file spells them, terms of the glossary, text of a bounded length."""

from __future__ import annotations

from typing import Any

from lakebox.access.principal import Principal
from lakebox.config.docs import MAX_DESCRIPTION, MAX_ITEMS, MAX_OWNER, tags
from lakebox.config.glossary import GlossaryConfig
from lakebox.errors import CatalogError, DictionaryError
from lakebox.governance import edits
from lakebox.governance.dictionary import Dictionary, TableDocs
from lakebox.lakehouse import Lakehouse

ABILITY = "describe"


def may_describe(who: Principal, table: str, column: str = "") -> bool:
    """Whether `who` may edit the docs of `table` (`zone.table`) or of its `column`."""
    zone, _, name = table.partition(".")
    if not who.can(ABILITY) or not who.may_read_table(zone, name):
        return False
    return not column or bool(who.readable_columns(zone, name, [column]))


def entry_docs(found: Dictionary, table: str, column: str = "") -> TableDocs:
    """Return the docs of `table` (which must hold `column`, when given), or raise
    CatalogError (404)."""
    docs = found.table(table)
    if docs is None:
        raise CatalogError(f"no table {table} in the dictionary", hint="name it zone.table")
    if column and docs.column(column) is None:
        raise CatalogError(f"{table} has no column {column}")
    return docs


def edit(
    lh: Lakehouse, author: str, table: str, column: str, changes: dict[str, Any]
) -> list[edits.Edit]:
    """Keep `changes` (field → value; null gives the field back to its declaration) of
    `table` or its `column` as edits by `author`; raise DictionaryError for a wrong one."""
    allowed = edits.COLUMN_FIELDS if column else edits.TABLE_FIELDS
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise DictionaryError(
            f"{'a column' if column else 'a table'} has no field {unknown[0]!r}",
            hint=f"edit {', '.join(allowed)}",
        )
    if not changes:
        raise DictionaryError("nothing to change", hint=f"send one of {', '.join(allowed)}")
    checked = {name: _checked(name, value, lh.config.glossary) for name, value in changes.items()}
    return edits.record(lh.catalog.sql_engine, author, table, column, checked)


def _checked(name: str, value: Any, glossary: GlossaryConfig) -> edits.Value:
    if value is None:
        return None
    if name in ("description", "owner"):
        return _text(name, value, MAX_DESCRIPTION if name == "description" else MAX_OWNER)
    listed = _listed(name, value)
    try:
        return tags(listed) if name == "tags" else glossary.canonical(listed, "terms")
    except ValueError as error:
        hint = "e.g. pii or time-series" if name == "tags" else "the glossary page lists them"
        raise DictionaryError(str(error), hint=hint) from None


def _text(name: str, value: Any, longest: int) -> str:
    if not isinstance(value, str):
        raise DictionaryError(f"{name} must be text")
    if len(value) > longest:
        raise DictionaryError(f"{name} is longer than {longest} characters")
    return value.strip()


def _listed(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DictionaryError(f"{name} must be a list of text")
    if len(value) > MAX_ITEMS:
        raise DictionaryError(f"{name} holds more than {MAX_ITEMS} items")
    return [item.strip() for item in value if item.strip()]
