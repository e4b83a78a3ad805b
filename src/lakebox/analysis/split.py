"""Train/validation splits by time, never at random: every validation row is at or after the
cutoff and every training row before it, so no validation row is earlier than a training row
and a model is always judged on a future it has not seen."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lakebox.analysis.choices import DEFAULT_VALIDATION
from lakebox.errors import ModelLifecycleError

_TIME_KINDS = (pa.types.is_timestamp, pa.types.is_date, pa.types.is_integer, pa.types.is_floating)


@dataclass(frozen=True)
class Split:
    """The rows before the cutoff (train) and from the cutoff on (validation)."""

    time: str
    cutoff: Any
    train: pa.Table
    validation: pa.Table

    def describe(self) -> dict[str, Any]:
        """Return the split as plain values: time column, cutoff and row counts."""
        cutoff = self.cutoff.isoformat() if isinstance(self.cutoff, date) else self.cutoff
        return {
            "time": self.time,
            "cutoff": cutoff,
            "train_rows": self.train.num_rows,
            "validation_rows": self.validation.num_rows,
        }


def time_split(
    rows: pa.Table,
    time: str,
    cutoff: str | date | float | None = None,
    validation: float = DEFAULT_VALIDATION,
) -> Split:
    """Return `rows` split at `cutoff`, or where the last `validation` share of the time range
    begins; both parts are sorted by time and neither may be empty."""
    values = _time_values(rows, time)
    numbers = _as_numbers(values)
    if cutoff is None:
        edge = _fraction_cutoff(numbers, validation, exact=pa.types.is_floating(numbers.type))
    else:
        edge = _cutoff_number(cutoff, values.type, time)
    before = pc.less(numbers, pa.scalar(edge, numbers.type))
    ordered = rows.append_column("_lakebox_before", before).sort_by(time)
    split = Split(
        time=time,
        cutoff=_from_number(edge, values.type),
        train=ordered.filter(ordered["_lakebox_before"]).drop_columns("_lakebox_before"),
        validation=ordered.filter(pc.invert(ordered["_lakebox_before"])).drop_columns(
            "_lakebox_before"
        ),
    )
    _ensure_both_parts(split)
    return split


def guess_time_column(schema: pa.Schema) -> str:
    """Return the one date or timestamp column of `schema`, or raise asking to name one."""
    temporal = [f.name for f in schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)]
    if len(temporal) != 1:
        found = ", ".join(temporal) or "none"
        raise ModelLifecycleError(
            f"cannot tell which column is the time to split on (date/time columns: {found})",
            hint="name it with --time (or time=...)",
        )
    return temporal[0]


def _time_values(rows: pa.Table, time: str) -> pa.ChunkedArray:
    if time not in rows.column_names:
        raise ModelLifecycleError(
            f"no time column {time!r} (columns: {', '.join(rows.column_names)})",
            hint="name the time column to split on with --time",
            column=time,
        )
    values = rows[time]
    if values.null_count:
        raise ModelLifecycleError(
            f"time column {time!r} has {values.null_count} empty values, which no split can place",
            hint=f"filter them out in the sandbox's SQL (WHERE {time} IS NOT NULL)",
            column=time,
        )
    kind = values.type
    if not any(is_kind(kind) for is_kind in _TIME_KINDS):
        raise ModelLifecycleError(
            f"time column {time!r} is {kind}, not a date, time or number",
            column=time,
        )
    return values


def _as_numbers(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return times as comparable numbers: int64 ticks of dates and timestamps, else as is."""
    kind = values.type
    if pa.types.is_date(kind):
        return values.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
    if pa.types.is_timestamp(kind) or pa.types.is_integer(kind):
        return values.cast(pa.int64())
    return values.cast(pa.float64())


def _from_number(number: float, kind: pa.DataType) -> Any:
    """Return a number of `_as_numbers` as a value of the time column's type."""
    if pa.types.is_date(kind):
        return pa.scalar(int(number), pa.int32()).cast(pa.date32()).cast(kind).as_py()
    if pa.types.is_timestamp(kind) or pa.types.is_integer(kind):
        return pa.scalar(int(number), pa.int64()).cast(kind).as_py()
    return pa.scalar(number, pa.float64()).cast(kind).as_py()


def _fraction_cutoff(numbers: pa.ChunkedArray, validation: float, exact: bool) -> float | int:
    if not 0 < validation < 1:
        raise ModelLifecycleError(
            f"the validation share must be between 0 and 1, not {validation}",
            hint="e.g. --validation 0.2 keeps the last fifth of the time range for validation",
        )
    bounds = pc.min_max(numbers)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    edge = low + (high - low) * (1 - validation)
    return edge if exact else math.ceil(edge)


def _cutoff_number(cutoff: str | date | float, kind: pa.DataType, time: str) -> float | int:
    try:
        if isinstance(cutoff, str) and (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
            cutoff = datetime.fromisoformat(cutoff)
        if isinstance(cutoff, str):
            cutoff = float(cutoff)
        if isinstance(cutoff, datetime) and pa.types.is_timestamp(kind):
            cutoff = _same_zone_kind(cutoff, aware=kind.tz is not None)
        if isinstance(cutoff, datetime) and pa.types.is_date(kind):
            cutoff = cutoff.date()
        scalar = pa.scalar(cutoff).cast(kind)
    except (ValueError, TypeError, pa.ArrowException) as error:
        raise ModelLifecycleError(
            f"cutoff {cutoff!r} cannot be compared with time column {time!r} ({kind}): {error}",
            hint="give an ISO date or time, e.g. --cutoff 2026-06-01",
            column=time,
        ) from None
    return _as_numbers(pa.chunked_array([[scalar.as_py()]], kind))[0].as_py()


def _same_zone_kind(moment: datetime, aware: bool) -> datetime:
    """Return `moment` naive (UTC) or aware as the time column is; naive times are UTC."""
    if aware:
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _ensure_both_parts(split: Split) -> None:
    for part, rows in (("training", split.train), ("validation", split.validation)):
        if rows.num_rows == 0:
            raise ModelLifecycleError(
                f"the split at {split.describe()['cutoff']} leaves no {part} rows",
                hint="choose another cutoff or validation share; the data needs at least two "
                "distinct times",
                column=split.time,
            )
