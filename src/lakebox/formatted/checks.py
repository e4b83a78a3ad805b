"""The checks formatting adds to a source's columns: a key column never empty, a required
value never missing (a row failing one is quarantined with its reason)."""

from __future__ import annotations

from lakebox.config import SourceConfig
from lakebox.errors import FormatError
from lakebox.formatted.rules import Check, ColumnPlan, typed_ref
from lakebox.ground.sql import quote_literal


def checked(columns: list[ColumnPlan], source: SourceConfig) -> list[ColumnPlan]:
    """Return `columns` with the key checks of `source.key` and the checks of its required
    columns; a key column the file lacks is a FormatError."""
    required = [name for name, column in source.columns.items() if column.required]
    return _with_required_checks(_with_key_checks(columns, source.key), required)


def _with_key_checks(columns: list[ColumnPlan], key: list[str]) -> list[ColumnPlan]:
    missing = [name for name in key if name not in {column.name for column in columns}]
    if missing:
        raise FormatError(
            f"key column {missing[0]!r} is not in the file", hint="check 'key:' of the source"
        )
    result = []
    for column in columns:
        if column.name in key:
            check = Check(
                f"{typed_ref(column.name)} IS NULL",
                quote_literal(f"{column.name}: key column is empty"),
            )

            column = ColumnPlan(**{**vars(column), "checks": (*column.checks, check)})
        result.append(column)
    return result


def _with_required_checks(columns: list[ColumnPlan], required: list[str]) -> list[ColumnPlan]:
    """Quarantine a row whose value in a `required` column is missing."""
    return [
        ColumnPlan(**{**vars(column), "checks": (*column.checks, _missing(column.name))})
        if column.name in required
        else column
        for column in columns
    ]


def _missing(name: str) -> Check:
    return Check(f"{typed_ref(name)} IS NULL", quote_literal(f"{name}: required value is missing"))
