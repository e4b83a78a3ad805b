"""Canonical column types: the names a column may declare and their one spelling.

How text is cast to each type lives with the formatted zone (`lakebox.formatted.types`).
"""

from __future__ import annotations

import re

from lakebox.errors import ConfigError

_ALIASES = {
    "STRING": "VARCHAR",
    "TEXT": "VARCHAR",
    "INT": "INTEGER",
    "LONG": "BIGINT",
    "FLOAT8": "DOUBLE",
    "REAL": "FLOAT",
    "BOOL": "BOOLEAN",
    "DATETIME": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "INT64": "BIGINT",
    "INT32": "INTEGER",
}
_KNOWN = re.compile(
    r"^(VARCHAR|BIGINT|INTEGER|SMALLINT|DOUBLE|FLOAT|BOOLEAN|DATE|TIMESTAMP|TIMESTAMPTZ|"
    r"DECIMAL\(\d+,\s*\d+\)|JSON)$"
)


def canonical(type_name: str) -> str:
    """Return the canonical spelling of a declared type, or raise ConfigError."""
    upper = " ".join(type_name.upper().split())
    upper = _ALIASES.get(upper, upper)
    if is_nested(upper):
        return type_name.strip()
    if not _KNOWN.match(upper):
        raise ConfigError(
            f"unknown column type {type_name!r}",
            hint="use VARCHAR, BIGINT, INTEGER, DOUBLE, DECIMAL(p,s), BOOLEAN, DATE, TIMESTAMP, "
            "TIMESTAMPTZ or JSON",
        )
    return upper


def is_nested(type_name: str) -> bool:
    """Return whether `type_name` is a STRUCT, MAP or LIST type."""
    upper = type_name.strip().upper()
    return upper.startswith(("STRUCT(", "MAP(")) or upper.endswith("[]")
