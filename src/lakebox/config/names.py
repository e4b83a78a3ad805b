"""Table and column names as declarations write them: pydantic types that check their form."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def zone_table(value: str) -> str:
    """Return `value` if it is written `zone.table`, else raise ValueError."""
    if not _TABLE.fullmatch(value):
        raise ValueError(f"table {value!r} is not zone.table, e.g. exploitation.daily_sales")
    return value


def column_name(value: str) -> str:
    """Return `value` if it is a plain column name, else raise ValueError."""
    if not _COLUMN.fullmatch(value):
        raise ValueError(f"{value!r} is not a column name (letters, digits and _)")
    return value


def _column_names(value: list[str]) -> list[str]:
    return [column_name(column) for column in value]


def _one_is_a_list(value: object) -> object:
    """Return a lone name as a list of one (`ids: store` means `ids: [store]`)."""
    return [value] if isinstance(value, str) else value


ZoneTable = Annotated[str, AfterValidator(zone_table)]
ColumnName = Annotated[str, AfterValidator(column_name)]
ColumnNames = Annotated[list[str], BeforeValidator(_one_is_a_list), AfterValidator(_column_names)]
