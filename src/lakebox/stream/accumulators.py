"""What a window keeps of its events, in columns: per group (key and window start) the
number of events, and per field its count, sum, sum of squares, extremes and latest value.

A micro-batch's events are aggregated into such *partial* rows (`partial`), merged with the
open windows' rows of the same group (`combine`), and a closed window's row is turned into
its output columns (`finish`): `events_count` and `<field>_<aggregate>`. All of it runs in
Arrow's group-by, with no Python loop per event or per window. The latest value is the one
with the greatest (event time, offset), so it does not depend on how events were batched.
The spread is kept as a sum of squares: the sample deviation is
sqrt((Σx² − (Σx)²/n) / (n − 1)).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from lakebox.stream.events import OFFSET, TIME

START = "_start"
EVENTS = "_events"
_FLOAT = pa.float64()


class Aggregation:
    """The aggregates a window computes: which fields, what of each."""

    def __init__(self, aggregates: dict[str, list[str]], numeric: set[str], key: str) -> None:
        self.aggregates = aggregates
        self.key = key
        self.groups = [key, START]
        self.numeric = [name for name in aggregates if name in numeric]
        self.counted = [name for name in aggregates if name not in numeric]
        self.lasts = [name for name, wanted in aggregates.items() if "last" in wanted]

    def columns(self) -> list[str]:
        """Return the output columns, `<field>_<aggregate>`, in declared order."""
        return [f"{name}_{agg}" for name, aggs in self.aggregates.items() for agg in aggs]

    def partial(self, assigned: pa.Table) -> pa.Table:
        """Return one row per group of `assigned` (events with the group columns)."""
        specs: list[tuple] = [(TIME, "count", None, EVENTS)]
        for name in self.numeric:
            values = pc.cast(assigned.column(name), _FLOAT)
            assigned = assigned.set_column(assigned.schema.get_field_index(name), name, values)
            assigned = assigned.append_column(f"{name}.x2", pc.multiply(values, values))
            specs += [
                (name, "count", None, f"{name}.n"),
                (name, "sum", None, f"{name}.sum"),
                (f"{name}.x2", "sum", None, f"{name}.sq"),
                (name, "min", None, f"{name}.min"),
                (name, "max", None, f"{name}.max"),
            ]
        specs += [(name, "count", None, f"{name}.n") for name in self.counted]
        grouped = _aggregate(assigned, self.groups, specs)
        for name in self.lasts:
            latest = assigned.select([*self.groups, TIME, OFFSET, name])
            latest = latest.rename_columns([*self.groups, f"{name}.lt", f"{name}.lo", f"{name}.lv"])
            grouped = self._with_last(grouped, latest, name)
        return grouped

    def combine(self, tables: list[pa.Table]) -> pa.Table:
        """Return the partial rows of `tables` merged per group."""
        merged = pa.concat_tables([t for t in tables if t is not None], promote_options="default")
        specs: list[tuple] = [(EVENTS, "sum", None, EVENTS)]
        for name in self.numeric:
            specs += [
                (f"{name}.n", "sum", None, f"{name}.n"),
                (f"{name}.sum", "sum", None, f"{name}.sum"),
                (f"{name}.sq", "sum", None, f"{name}.sq"),
                (f"{name}.min", "min", None, f"{name}.min"),
                (f"{name}.max", "max", None, f"{name}.max"),
            ]
        specs += [(f"{name}.n", "sum", None, f"{name}.n") for name in self.counted]
        grouped = _aggregate(merged, self.groups, specs)
        for name in self.lasts:
            latest = merged.select([*self.groups, f"{name}.lt", f"{name}.lo", f"{name}.lv"])
            grouped = self._with_last(grouped, latest, name)
        return grouped

    def _with_last(self, grouped: pa.Table, latest: pa.Table, name: str) -> pa.Table:
        """Join to `grouped` each group's value of `name` with the greatest time and offset."""
        time, offset, value = f"{name}.lt", f"{name}.lo", f"{name}.lv"
        latest = latest.filter(pc.is_valid(latest.column(value)))
        latest = latest.sort_by([(time, "ascending"), (offset, "ascending")])
        picked = _aggregate(
            latest,
            self.groups,
            [
                (value, "last", None, value),
                (time, "last", None, time),
                (offset, "last", None, offset),
            ],
        )
        return grouped.join(picked, self.groups, join_type="left outer", use_threads=False)

    def finish(self, state: pa.Table) -> dict[str, pa.Array]:
        """Return the output columns of the windows in `state`, `events_count` first."""
        columns: dict[str, pa.Array] = {"events_count": state.column(EVENTS)}
        for name, aggregates in self.aggregates.items():
            for aggregate in aggregates:
                columns[f"{name}_{aggregate}"] = self._value(state, name, aggregate)
        return columns

    def _value(self, state: pa.Table, name: str, aggregate: str) -> pa.ChunkedArray:
        if aggregate == "count":
            return state.column(f"{name}.n")
        if aggregate == "last":
            return state.column(f"{name}.lv")
        n = pc.cast(state.column(f"{name}.n"), _FLOAT)
        some = pc.greater(n, 0)
        total = state.column(f"{name}.sum")
        if aggregate == "sum":
            return pc.if_else(some, total, None)
        if aggregate in ("min", "max"):
            return state.column(f"{name}.{aggregate}")
        mean = pc.divide(total, pc.if_else(some, n, None))
        if aggregate == "mean":
            return mean
        squares = pc.subtract(state.column(f"{name}.sq"), pc.multiply(total, mean))
        spread = pc.divide(pc.max_element_wise(squares, 0.0), pc.subtract(n, 1.0))
        return pc.if_else(pc.greater(n, 1), pc.sqrt(spread), None)


def _aggregate(table: pa.Table, groups: list[str], specs: list[tuple]) -> pa.Table:
    """Group `table` by `groups`; each spec is (column, function, options, output name)."""
    grouped = table.group_by(groups, use_threads=False).aggregate(
        [
            (column, function, options) if options else (column, function)
            for column, function, options, _ in specs
        ]
    )
    names = [f"{column}_{function}" for column, function, _, _ in specs]
    renamed = {old: new for old, (_, _, _, new) in zip(names, specs, strict=True)}
    return grouped.rename_columns([renamed.get(column, column) for column in grouped.column_names])
