"""What a window keeps of its events: per field the count, sum, mean, spread, extremes and
last value, merged from the aggregates of each micro-batch, and turned into a row's columns.

The spread is kept as the sum of squared deviations (`m2`) and merged with Chan's formula, so
a window's standard deviation does not depend on how its events were split into batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from lakebox.stream.events import OFFSET, TIME

Last = tuple[int, int, object]  # (event time, offset, value) of the latest value


@dataclass(slots=True)
class FieldStats:
    """One field's running aggregates in one window."""

    n: int = 0
    total: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    low: float | None = None
    high: float | None = None
    last: Last | None = None

    def merge(self, other: FieldStats) -> None:
        """Add the aggregates of `other` (another batch's events) to these."""
        if other.n:
            n = self.n + other.n
            delta = other.mean - self.mean
            self.m2 += other.m2 + delta * delta * self.n * other.n / n
            self.mean += delta * other.n / n
            self.n, self.total = n, self.total + other.total
            self.low = other.low if self.low is None else min(self.low, other.low)  # type: ignore[type-var]
            self.high = other.high if self.high is None else max(self.high, other.high)  # type: ignore[type-var]
        if other.last is not None and (self.last is None or other.last[:2] > self.last[:2]):
            self.last = other.last

    def value(self, aggregate: str) -> object:
        """Return the value of `aggregate` over the window's events."""
        if aggregate == "count":
            return self.n
        if aggregate == "last":
            return None if self.last is None else self.last[2]
        if self.n == 0:
            return None
        if aggregate == "stddev":
            return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else None
        return {"sum": self.total, "mean": self.mean, "min": self.low, "max": self.high}[aggregate]


@dataclass(slots=True)
class Accumulator:
    """A window's events so far: how many, and each field's aggregates."""

    events: int
    fields: dict[str, FieldStats]

    def merge(self, other: Accumulator) -> None:
        """Add the events of `other` to this window."""
        self.events += other.events
        for name, stats in other.fields.items():
            mine = self.fields.get(name)
            if mine is None:
                self.fields[name] = stats
            else:
                mine.merge(stats)


class Aggregation:
    """The aggregates a window computes: which fields, what of each, and the group-by that
    computes them over a micro-batch's events."""

    def __init__(self, aggregates: dict[str, list[str]], numeric: set[str]) -> None:
        self.aggregates = aggregates
        self.numeric = [name for name in aggregates if name in numeric]
        self.lasts = [name for name, wanted in aggregates.items() if "last" in wanted]
        self.counted = [name for name in aggregates if name not in numeric]

    def columns(self) -> list[str]:
        """Return the output columns, `<field>_<aggregate>`, in declared order."""
        return [f"{name}_{agg}" for name, aggs in self.aggregates.items() for agg in aggs]

    def values(self, accumulator: Accumulator) -> dict[str, object]:
        """Return the output columns of one window."""
        row: dict[str, object] = {}
        for name, aggs in self.aggregates.items():
            stats = accumulator.fields.get(name) or FieldStats()
            for agg in aggs:
                row[f"{name}_{agg}"] = stats.value(agg)
        return row

    def group(self, table: pa.Table, keys: list[str]) -> list[tuple[tuple, Accumulator]]:
        """Return each group's accumulator: `table` holds the events (sorted by time and
        offset) with the group columns `keys`."""
        specs: list[tuple] = [(TIME, "count")]
        for name in self.numeric:
            specs += [(name, "count"), (name, "sum"), (name, "min"), (name, "max")]
            specs.append((name, "variance", pc.VarianceOptions(ddof=0)))
        for name in self.counted:
            specs.append((name, "count"))
        table = self._with_last_positions(table)
        for name in self.lasts:
            specs += [(name, "last"), (f"_t_{name}", "last"), (f"_o_{name}", "last")]
        grouped = table.group_by(keys, use_threads=False).aggregate(specs)
        return [
            (tuple(row[key] for key in keys), self._accumulator(row)) for row in grouped.to_pylist()
        ]

    def _with_last_positions(self, table: pa.Table) -> pa.Table:
        """Add, per field with a `last`, the time and offset of rows where it has a value."""
        for name in self.lasts:
            valid = pc.is_valid(table.column(name))
            table = table.append_column(f"_t_{name}", pc.if_else(valid, table.column(TIME), None))
            table = table.append_column(f"_o_{name}", pc.if_else(valid, table.column(OFFSET), None))
        return table

    def _accumulator(self, row: dict[str, object]) -> Accumulator:
        fields = {}
        for name in self.numeric:
            n = int(row[f"{name}_count"] or 0)
            total = float(row[f"{name}_sum"] or 0.0)
            variance = float(row[f"{name}_variance"] or 0.0)
            mean = total / n if n else 0.0
            fields[name] = FieldStats(
                n, total, mean, variance * n, row[f"{name}_min"], row[f"{name}_max"]
            )  # type: ignore[arg-type]
        for name in self.counted:
            fields[name] = FieldStats(int(row[f"{name}_count"] or 0))
        for name in self.lasts:
            when = row[f"_t_{name}_last"]
            if when is not None:
                fields[name].last = (int(when), int(row[f"_o_{name}_last"]), row[f"{name}_last"])  # type: ignore[arg-type]
        return Accumulator(int(row[f"{TIME}_count"]), fields)  # type: ignore[arg-type]
