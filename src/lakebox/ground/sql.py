"""Quoting names and text into SQL, the one way every package writes them into statements."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """Return `name` quoted as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Return `value` quoted as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
