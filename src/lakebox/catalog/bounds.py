"""Which data files may hold given values of a column, read from the lower and upper bounds
and null counts the table's manifests keep for every file (no data file is opened).

The answer may hold files that turn out not to hold a value (the bounds are a range, and
strings' bounds are truncated), never leave out one that does: a file without bounds for the
column is always a candidate, and so is one whose bounds cannot be compared with the values.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
from pyiceberg.conversions import from_bytes
from pyiceberg.manifest import DataFile
from pyiceberg.schema import Schema
from pyiceberg.types import (
    DateType,
    DoubleType,
    FloatType,
    IcebergType,
    PrimitiveType,
    TimestampType,
    TimestamptzType,
    TimeType,
)

EPOCH = datetime(1970, 1, 1)
UNCOMPARABLE = (FloatType, DoubleType)  # NaN sits outside every bound: never prune on it


def may_hold(
    files: list[DataFile], schema: Schema, column: str, values: pa.Array | Sequence[Any]
) -> list[DataFile]:
    """Return the files whose bounds of `column` include at least one of `values` (non-null,
    in ascending order: an Arrow array is read only where a binary search looks); files that
    lack the column hold only nulls and are left out."""
    field = schema.find_field(column)
    present = [file for file in files if _has_column(file, field.field_id)]
    if isinstance(field.field_type, UNCOMPARABLE):
        return present
    ordered = _Values(values) if isinstance(values, pa.Array) else values
    return [file for file in present if _in_bounds(file, field.field_id, field.field_type, ordered)]


def may_hold_nulls(files: list[DataFile], schema: Schema, column: str) -> list[DataFile]:
    """Return the files that may hold a null in `column` (a file without the column does)."""
    field_id = schema.find_field(column).field_id
    return [file for file in files if _null_count(file, field_id) != 0]


class _Values(Sequence[Any]):
    """An Arrow array seen as a sequence of Python values (made one at a time, on use)."""

    def __init__(self, array: pa.Array) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index: Any) -> Any:
        return self.array[index].as_py()


def _in_bounds(file: DataFile, field_id: int, kind: IcebergType, ordered: Sequence[Any]) -> bool:
    low, high = _bound(file.lower_bounds, field_id, kind), _bound(file.upper_bounds, field_id, kind)
    if low is None or high is None:
        return True
    try:
        index = bisect.bisect_left(ordered, low)
        return index < len(ordered) and ordered[index] <= high
    except TypeError:
        return True


def _has_column(file: DataFile, field_id: int) -> bool:
    counts = file.value_counts or {}
    return not counts or field_id in counts


def _null_count(file: DataFile, field_id: int) -> int | None:
    counts, nulls = file.value_counts or {}, file.null_value_counts or {}
    if counts and field_id not in counts:
        return None  # the file lacks the column: every row holds a null there
    return nulls.get(field_id)


def _bound(bounds: dict[int, bytes] | None, field_id: int, kind: IcebergType) -> Any:
    raw = (bounds or {}).get(field_id)
    if raw is None or not isinstance(kind, PrimitiveType):
        return None
    return _python_value(kind, from_bytes(kind, raw))


def _python_value(kind: IcebergType, value: Any) -> Any:
    """Return a bound as the Python value DuckDB gives for the column's type."""
    if isinstance(kind, DateType):
        return date(1970, 1, 1) + timedelta(days=value)
    if isinstance(kind, TimestampType):
        return EPOCH + timedelta(microseconds=value)
    if isinstance(kind, TimestamptzType):
        return (EPOCH + timedelta(microseconds=value)).replace(tzinfo=UTC)
    if isinstance(kind, TimeType):
        return (EPOCH + timedelta(microseconds=value)).time()
    return value
