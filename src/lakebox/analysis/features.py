"""Feature tables `analytics.features_<name>`: a sandbox's (or any table's) rows with added
columns — SQL expressions the user declares, and standard time features: lags, rolling means
of earlier rows and calendar parts. A feature table is frozen like a sandbox: its snapshot
records the SQL that made it and the snapshot it read."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot

from lakebox.analysis.sandbox import ANALYTICS, Extract, checked_name, freeze, source_table
from lakebox.catalog import TableRef
from lakebox.errors import ModelLifecycleError
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse

PREFIX = "features_"
# Calendar part → the DuckDB function giving it (weekday: ISO, Monday = 1 … Sunday = 7).
CALENDAR = {"weekday": "isodow", "hour": "hour", "month": "month", "day": "day"}


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns to add. Lags, rolling means and calendar parts need `time`; `keys`
    separate the series (e.g. one per sensor) so a lag never reads another series' row."""

    time: str | None = None
    keys: tuple[str, ...] = ()
    expressions: dict[str, str] = field(default_factory=dict)
    lags: dict[str, tuple[int, ...]] = field(default_factory=dict)
    rolling: dict[str, tuple[int, ...]] = field(default_factory=dict)
    calendar: tuple[str, ...] = ()


def features_ref(name: str) -> TableRef:
    """Return the table of feature table `name`."""
    return TableRef(ANALYTICS, PREFIX + checked_name(name, "feature table"))


def build_features(lh: Lakehouse, name: str, source: str, spec: FeatureSpec) -> Extract:
    """Write `analytics.features_<name>`: `source` (a sandbox name or zone.table) with the
    columns of `spec` added; return what was frozen."""
    return freeze(lh, features_ref(name), features_sql(source_table(lh, source), spec))


def features_sql(source: TableRef, spec: FeatureSpec) -> str:
    """Return the SELECT adding the columns of `spec` to every row of `source`."""
    columns = [
        *(f"({_expression(sql)}) AS {quote_identifier(n)}" for n, sql in spec.expressions.items()),
        *_lag_columns(spec),
        *_rolling_columns(spec),
        *_calendar_columns(spec),
    ]
    table = f"{quote_identifier(source.zone)}.{quote_identifier(source.name)}"
    return f"SELECT *, {', '.join(columns)} FROM {table}" if columns else f"SELECT * FROM {table}"


def _lag_columns(spec: FeatureSpec) -> list[str]:
    return [
        f"lag({quote_identifier(column)}, {_steps(step)}) OVER ({_window(spec)}) "
        f"AS {quote_identifier(f'{column}_lag_{step}')}"
        for column, steps in spec.lags.items()
        for step in steps
    ]


def _rolling_columns(spec: FeatureSpec) -> list[str]:
    """Means of the `n` rows before each row (never the row itself, so a target's own value
    cannot leak into its features)."""
    return [
        f"avg({quote_identifier(column)}) OVER ({_window(spec)} "
        f"ROWS BETWEEN {_steps(size)} PRECEDING AND 1 PRECEDING) "
        f"AS {quote_identifier(f'{column}_mean_{size}')}"
        for column, sizes in spec.rolling.items()
        for size in sizes
    ]


def _calendar_columns(spec: FeatureSpec) -> list[str]:
    unknown = sorted(set(spec.calendar) - set(CALENDAR))
    if unknown:
        raise ModelLifecycleError(
            f"unknown calendar feature(s) {', '.join(unknown)}",
            hint=f"choose from {', '.join(CALENDAR)}",
        )
    time = _time(spec) if spec.calendar else ""
    return [
        f"{CALENDAR[part]}({quote_identifier(time)}) AS {quote_identifier(f'{time}_{part}')}"
        for part in spec.calendar
    ]


def _window(spec: FeatureSpec) -> str:
    partition = ", ".join(quote_identifier(key) for key in spec.keys)
    order = f"ORDER BY {quote_identifier(_time(spec))}"
    return f"PARTITION BY {partition} {order}" if partition else order


def _time(spec: FeatureSpec) -> str:
    if spec.time is None:
        raise ModelLifecycleError(
            "lags, rolling means and calendar features need the time column",
            hint="set time= in the feature spec",
        )
    return spec.time


def _steps(value: int) -> int:
    if not isinstance(value, int) or value < 1:
        raise ModelLifecycleError(f"a lag or window size must be a positive integer, not {value}")
    return value


def _expression(sql: str) -> str:
    """Return `sql` if it parses as one expression (what it reads is checked with the rest)."""
    try:
        parsed = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise ModelLifecycleError(f"feature expression {sql!r} does not parse: {error}") from None
    if isinstance(parsed, sqlglot.exp.Query):
        raise ModelLifecycleError(f"feature expression {sql!r} is a query, not an expression")
    return sql
