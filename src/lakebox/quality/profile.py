"""Table profiles: per column null share, distinct count, min/max, top values and histogram,
computed by DuckDB over one snapshot and kept in `ops.profiles` for the catalog UI.

A table of C columns is read 2 + C times: one aggregate gives every column's nulls and min/max;
one query bins every column by those bounds (the binned values unnested into one group-by); and
one group-by per column gives its top values and exact distinct count. (Grouping every column at
once with GROUPING SETS reads the table once but ran ten times slower on 50 columns x 5M rows.)
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.engine.duckdb import snapshot_scan
from lakebox.errors import CatalogError, ConfigError
from lakebox.ground.clock import new_batch_id, now
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.tables import commit_rows

logger = logging.getLogger(__name__)
PROFILES = TableRef("ops", "profiles")
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
INTEGER_TYPES |= {"U" + name for name in INTEGER_TYPES}
FLOAT_TYPES = {"FLOAT", "DOUBLE"}
TIME_TYPES = {
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
}
# Kinds binned by whole numbers: integers, days, lengths (times bin by fractions of their span).
WHOLE_KINDS = {"integer", "date", "text"}
EPOCH = datetime(1970, 1, 1)
Bound = int | float | str
Bin = tuple[Bound, Bound, int]

PROFILE_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("snapshot_id", pa.int64()),
        ("profiled_at", pa.timestamp("us", tz="UTC")),
        ("position", pa.int32()),
        ("column_name", pa.string()),
        ("column_type", pa.string()),
        ("rows", pa.int64()),
        ("null_share", pa.float64()),
        ("distinct_count", pa.int64()),
        ("min", pa.string()),
        ("max", pa.string()),
        ("top_values", pa.string()),
        ("histogram", pa.string()),
    ]
)


@dataclass(frozen=True)
class ColumnProfile:
    """One column's profile. `histogram` bins are `(lower, upper, count)`, lower inclusive and
    upper exclusive (a float column's last bin also holds its maximum); numbers bin their values,
    dates and timestamps their times (ISO text), text its value lengths; other types have none."""

    name: str
    type: str
    null_share: float
    distinct_count: int
    min: str | None
    max: str | None
    top_values: list[tuple[str, int]]
    histogram: list[Bin]


@dataclass(frozen=True)
class TableProfile:
    """A table's profile at one snapshot (None: the table has no snapshot yet)."""

    table: str
    snapshot_id: int | None
    rows: int
    profiled_at: datetime
    columns: list[ColumnProfile]


@dataclass(frozen=True)
class _Column:
    """A column as the profiling SQL sees it: `c<index>`, with its kind of histogram."""

    index: int
    name: str
    type: str

    @property
    def alias(self) -> str:
        return f"c{self.index}"

    @property
    def kind(self) -> str:
        """Return number, integer, date, time, text, boolean or other."""
        base = self.type.split("(")[0]
        kinds = {"DECIMAL": "number", "DATE": "date", "VARCHAR": "text", "BOOLEAN": "boolean"}
        if base in INTEGER_TYPES:
            return "integer"
        if base in FLOAT_TYPES:
            return "number"
        return "time" if base in TIME_TYPES else kinds.get(base, "other")

    @property
    def measure(self) -> str | None:
        """Return the SQL of the number a value is binned by, or None for no histogram."""
        measures = {
            "integer": f"{self.alias}::HUGEINT",
            "number": f"{self.alias}::DOUBLE",
            "date": f"({self.alias} - DATE '1970-01-01')",
            "time": f"epoch_us({self.alias})",
            "text": f"length({self.alias})",
        }
        return measures.get(self.kind)


@dataclass(frozen=True)
class _Stats:
    """What the summary scan found about one column."""

    nulls: int
    min: str | None
    max: str | None
    low: int | float | None
    high: int | float | None


def profile(lh: Lakehouse, table: str, top: int = 10, bins: int = 20) -> TableProfile:
    """Return the profile of `table` (`zone.table`) at its current snapshot, with up to `top`
    most frequent values and up to `bins` histogram bins per column; also append it to
    `ops.profiles`."""
    if top < 1 or bins < 1:
        raise ConfigError(f"--top and --bins must be at least 1 (got {top} and {bins})")
    ref = table_ref(table)
    iceberg = lh.catalog.load(ref)
    if iceberg is None:
        raise CatalogError(f"no table {table!r}", hint="list tables with 'lakebox tables'")
    snapshot = iceberg.current_snapshot()
    snapshot_id = snapshot.snapshot_id if snapshot else None
    source = snapshot_scan(iceberg.metadata_location, snapshot_id=snapshot_id)
    result = profile_source(lh, table, source, snapshot_id, top, bins)
    store_profile(lh, result)
    return result


def table_ref(table: str) -> TableRef:
    """Return the TableRef of `zone.table`."""
    zone, _, name = table.partition(".")
    if not zone or not name:
        raise CatalogError(
            f"{table!r} is not zone.table", hint="e.g. formatted.sales; see 'lakebox tables'"
        )
    return TableRef(zone, name)


def profile_source(
    lh: Lakehouse, table: str, source: str, snapshot_id: int | None, top: int, bins: int
) -> TableProfile:
    """Return the profile of the rows of `source` (a FROM item such as an iceberg_scan)."""
    profiled_at = now()
    columns = _columns(lh, source)
    rows, stats = _scan_summary(lh, source, columns) if columns else (0, [])
    histograms = _scan_histograms(lh, source, columns, stats, bins)
    return TableProfile(
        table=table,
        snapshot_id=snapshot_id,
        rows=rows,
        profiled_at=profiled_at,
        columns=[
            _column_profile(lh, source, column, found, rows, histogram, top)
            for column, found, histogram in zip(columns, stats, histograms, strict=True)
        ],
    )


def _columns(lh: Lakehouse, source: str) -> list[_Column]:
    described = lh.engine.arrow(f"DESCRIBE SELECT * FROM {source}").to_pylist()
    return [
        _Column(index, row["column_name"], row["column_type"])
        for index, row in enumerate(described)
    ]


def _column_profile(
    lh: Lakehouse,
    source: str,
    column: _Column,
    found: _Stats,
    rows: int,
    histogram: list[Bin],
    top: int,
) -> ColumnProfile:
    distinct_count, top_values = _scan_top_values(lh, source, column, top)
    return ColumnProfile(
        name=column.name,
        type=column.type,
        null_share=found.nulls / rows if rows else 0.0,
        distinct_count=distinct_count,
        min=found.min,
        max=found.max,
        top_values=top_values,
        histogram=histogram,
    )


def _renamed(columns: list[_Column]) -> str:
    """Return the select list that names every column by its alias (c0, c1, …)."""
    return ", ".join(f"{quote_identifier(c.name)} AS {c.alias}" for c in columns)


# -- scan 1: one aggregate over every column -------------------------------------------------


def summary_sql(source: str, columns: list[_Column]) -> str:
    """Return the SQL of the summary scan: one row, `rows` then five values per column."""
    aggregates = ",\n  ".join(_column_aggregates(column) for column in columns)
    return (
        f"SELECT count(*) AS rows,\n  {aggregates}\nFROM (SELECT {_renamed(columns)} FROM {source})"
    )


def _column_aggregates(column: _Column) -> str:
    """Return the SQL of a column's null count, min, max and the low and high of its measure."""
    bounded = "NULL" if column.kind == "other" else column.alias
    measure = column.measure or "NULL"
    finite = f" FILTER (WHERE isfinite({measure}))" if column.kind == "number" else ""
    return ", ".join(
        [
            f"count(*) - count({column.alias})",
            f"min({bounded})::VARCHAR",
            f"max({bounded})::VARCHAR",
            f"min({measure}){finite}",
            f"max({measure}){finite}",
        ]
    )


def _scan_summary(lh: Lakehouse, source: str, columns: list[_Column]) -> tuple[int, list[_Stats]]:
    """Return the row count and each column's summary, read in one scan."""
    row = lh.engine.execute(summary_sql(source, columns)).fetchone()
    assert row is not None  # an aggregate without GROUP BY always gives one row
    values = iter(row[1:])
    stats = [
        _Stats(
            nulls=int(next(values)),
            min=next(values),
            max=next(values),
            low=_plain_number(next(values)),
            high=_plain_number(next(values)),
        )
        for _ in columns
    ]
    return int(row[0]), stats


def _plain_number(value: Any) -> int | float | None:
    """Return DuckDB's HUGEINT/DOUBLE result as a Python int or float."""
    return None if value is None else value if isinstance(value, float) else int(value)


# -- scans 3…: one group-by per column -------------------------------------------------------


def top_values_sql(source: str, column: _Column, top: int) -> str:
    """Return the SQL of a column's `top` most frequent values (ties by value) and, on every
    row, its exact number of distinct values."""
    name = quote_identifier(column.name)
    order = "v::VARCHAR" if column.kind == "other" else "v"
    return (
        "SELECT v::VARCHAR AS value, n, count(*) OVER () AS distinct_count "
        f"FROM (SELECT {name} AS v, count(*) AS n FROM {source} "
        f"WHERE {name} IS NOT NULL GROUP BY ALL) ORDER BY n DESC, {order} LIMIT {int(top)}"
    )


def _scan_top_values(
    lh: Lakehouse, source: str, column: _Column, top: int
) -> tuple[int, list[tuple[str, int]]]:
    """Return a column's distinct count and top values, read in one scan."""
    rows = lh.engine.execute(top_values_sql(source, column, top)).fetchall()
    distinct_count = int(rows[0][2]) if rows else 0
    return distinct_count, [(value, int(count)) for value, count, _ in rows]


# -- scan 2: every column binned at once -----------------------------------------------------


@dataclass(frozen=True)
class _Binning:
    """Equal-width bins: `count` of them, the first starting at `low`."""

    low: int | float
    width: int | float
    count: int

    @classmethod
    def over(cls, low: int | float, high: int | float, bins: int, whole: bool) -> _Binning:
        """Return `bins` bins over [low, high], or fewer whole-number ones when `whole`."""
        if whole:
            low, high = int(low), int(high)
            width = math.ceil((high - low + 1) / bins)
            return cls(low, width, math.ceil((high - low + 1) / width))
        return cls(float(low), (high - low) / bins or 1.0, bins if high > low else 1)

    def sql(self, measure: str) -> str:
        """Return the SQL of the bin number (0-based) of a value's measure."""
        if isinstance(self.width, int):
            return f"((({measure}) - {self.low}) // {self.width})::BIGINT"
        start, width, last = repr(float(self.low)), repr(float(self.width)), self.count - 1
        return (
            f"CASE WHEN isfinite({measure}) THEN "
            f"least(floor((({measure}) - {start}) / {width}), {last})::BIGINT END"
        )

    def bounds(self, number: int) -> tuple[int | float, int | float]:
        return self.low + number * self.width, self.low + (number + 1) * self.width


def histogram_sql(source: str, binned: dict[_Column, _Binning]) -> str:
    """Return the SQL of the histogram scan: rows of (column index, bin number, count)."""
    indexes = ", ".join(str(column.index) for column in binned)
    numbers = ", ".join(binning.sql(column.measure or "NULL") for column, binning in binned.items())
    return (
        f"SELECT k, b, count(*) AS n FROM (SELECT unnest([{indexes}]) AS k, "
        f"unnest([{numbers}]) AS b FROM (SELECT {_renamed(list(binned))} FROM {source})) "
        "WHERE b IS NOT NULL GROUP BY k, b"
    )


def _scan_histograms(
    lh: Lakehouse, source: str, columns: list[_Column], stats: list[_Stats], bins: int
) -> list[list[Bin]]:
    """Return each column's histogram ([] for none), read in one scan."""
    binned = {
        column: _Binning.over(found.low, found.high, bins, column.kind in WHOLE_KINDS)
        for column, found in zip(columns, stats, strict=True)
        if column.measure and found.low is not None and found.high is not None
    }
    if not binned:
        return [[] for _ in columns]
    counts: dict[int, dict[int, int]] = {}
    for index, number, count in lh.engine.execute(histogram_sql(source, binned)).fetchall():
        counts.setdefault(index, {})[number] = count
    return [
        _bins(column, binned[column], counts.get(column.index, {})) if column in binned else []
        for column in columns
    ]


def _bins(column: _Column, binning: _Binning, counts: dict[int, int]) -> list[Bin]:
    """Return every bin of `binning` with its count, bounds shown in the column's terms."""
    result = []
    for number in range(binning.count):
        lower, upper = binning.bounds(number)
        shown = (_shown_bound(column, lower), _shown_bound(column, upper))
        result.append((*shown, int(counts.get(number, 0))))
    return result


def _shown_bound(column: _Column, bound: int | float) -> Bound:
    """Return a bin bound as the column's kind reads: ISO text for dates and times."""
    if column.kind == "date":
        return (date(1970, 1, 1) + timedelta(days=int(bound))).isoformat()
    if column.kind == "time":
        moment = EPOCH + timedelta(microseconds=round(bound))
        zoned = "WITH TIME ZONE" in column.type
        return (moment.replace(tzinfo=UTC) if zoned else moment).isoformat()
    return bound


# -- ops.profiles ----------------------------------------------------------------------------


def store_profile(lh: Lakehouse, result: TableProfile) -> str:
    """Append `result` to `ops.profiles` (one row per column); return its batch id."""
    batch_id = new_batch_id(result.profiled_at)
    commit_rows(
        lh, PROFILES, profile_rows(result), batch_id, {"lakebox.profiled-table": result.table}
    )
    logger.info("stored the profile of %s as batch %s", result.table, batch_id)
    return batch_id


def profile_rows(result: TableProfile) -> pa.Table:
    """Return `result` as rows of `ops.profiles`."""
    rows = [
        {
            "table_name": result.table,
            "snapshot_id": result.snapshot_id,
            "profiled_at": result.profiled_at,
            "position": position,
            "column_name": column.name,
            "column_type": column.type,
            "rows": result.rows,
            "null_share": column.null_share,
            "distinct_count": column.distinct_count,
            "min": column.min,
            "max": column.max,
            "top_values": json.dumps(column.top_values),
            "histogram": json.dumps(column.histogram),
        }
        for position, column in enumerate(result.columns)
    ]
    return pa.Table.from_pylist(rows, schema=PROFILE_SCHEMA)


def latest_profile(lh: Lakehouse, table: str) -> TableProfile | None:
    """Return the newest stored profile of `table`, or None if it was never profiled."""
    if lh.catalog.load(PROFILES) is None:
        return None
    lh.refresh()
    rows = lh.engine.arrow(
        f"SELECT * FROM {PROFILES.identifier} WHERE table_name = $1 "
        f"QUALIFY profiled_at = max(profiled_at) OVER () ORDER BY position",
        [table],
    ).to_pylist()
    if not rows:
        return None
    first = rows[0]
    return TableProfile(
        table=table,
        snapshot_id=first["snapshot_id"],
        rows=first["rows"],
        profiled_at=first["profiled_at"],
        columns=[_stored_column(row) for row in rows],
    )


def _stored_column(row: dict[str, Any]) -> ColumnProfile:
    return ColumnProfile(
        name=row["column_name"],
        type=row["column_type"],
        null_share=row["null_share"],
        distinct_count=row["distinct_count"],
        min=row["min"],
        max=row["max"],
        top_values=[tuple(pair) for pair in json.loads(row["top_values"])],
        histogram=[tuple(item) for item in json.loads(row["histogram"])],
    )
