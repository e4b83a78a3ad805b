"""Arrow values as Python objects, including those Python cannot hold (dates past year 9999,
DuckDB's infinite dates and timestamps), which come as text instead of an exception."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

# What converting a value may raise: Arrow's errors, and Python's for out-of-range dates.
CONVERSION_ERRORS = (OSError, pa.ArrowException, OverflowError, ValueError)
_INFINITE = 2**31 - 1  # DuckDB's infinite dates, as Arrow date32 days (timestamps: beyond)


def python_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Return `table`'s rows as dicts (what `to_pylist` gives, but never failing)."""
    names = table.column_names
    columns = [python_values(column) for column in table.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def python_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """Return a column's values as Python objects, as text those Python cannot hold."""
    try:
        return column.to_pylist()
    except CONVERSION_ERRORS:
        return [python_value(value) for value in column]


def python_value(value: pa.Scalar) -> Any:
    """Return one value as a Python object, or as text ('infinity', '-infinity', or Arrow's
    own rendering) when Python cannot hold it."""
    try:
        return value.as_py()
    except CONVERSION_ERRORS:
        raw = getattr(value, "value", None)
        if isinstance(raw, int) and abs(raw) >= _INFINITE:
            return "infinity" if raw > 0 else "-infinity"
        try:
            return value.cast(pa.string()).as_py()
        except CONVERSION_ERRORS:
            return f"<{value.type} out of range>"
