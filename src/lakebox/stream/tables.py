"""The window tables: `exploitation.<stream>_<window>`, one row per key and closed window,
with the key under its own name, `window_start` and `window_end` (UTC), `events_count`,
`<field>_<aggregate>` per aggregate, and the window's moving averages."""

from __future__ import annotations

import pyarrow as pa

from lakebox.catalog import TableRef
from lakebox.config.streams import StreamConfig
from lakebox.lakehouse import Lakehouse
from lakebox.stream.events import ARROW_TYPES
from lakebox.tables import commit_rows

ZONE = "exploitation"
_TIME = pa.timestamp("us", tz="UTC")


def window_ref(name: str, window: str) -> TableRef:
    """Return the table of window `window` of stream `name`."""
    return TableRef(ZONE, f"{name}_{window}")


def window_schema(stream: StreamConfig, window: str) -> pa.Schema:
    """Return the Arrow schema of a window table."""
    fields = stream.value_fields
    columns = [
        (stream.key, ARROW_TYPES[fields[stream.key]]),
        ("window_start", _TIME),
        ("window_end", _TIME),
        ("events_count", pa.int64()),
    ]
    for field, aggregates in stream.windows[window].aggregates.items():
        for aggregate in aggregates:
            columns.append((f"{field}_{aggregate}", _aggregate_type(fields[field], aggregate)))
    for average_name, average in stream.averages.items():
        if average.window == window:
            columns.append((average_name, pa.float64()))
    return pa.schema(columns)


def _aggregate_type(kind: str, aggregate: str) -> pa.DataType:
    if aggregate == "count":
        return pa.int64()
    if aggregate == "last":
        return ARROW_TYPES[kind]
    return pa.float64()


def window_rows(stream: StreamConfig, window: str, parts: list[pa.Table]) -> pa.Table:
    """Return the closed windows of `parts` as one table of the window's schema."""
    wanted = window_schema(stream, window)
    if not parts:
        return wanted.empty_table()
    return pa.concat_tables([part.select(wanted.names).cast(wanted) for part in parts])


def commit_windows(
    lh: Lakehouse,
    name: str,
    stream: StreamConfig,
    window: str,
    parts: list[pa.Table],
    batch: str,
) -> bool:
    """Commit a flush's closed windows of `window` under `batch`; False if already there."""
    table = window_rows(stream, window, parts)
    properties = {"lakebox.stream": name, "lakebox.window": window}
    return commit_rows(lh, window_ref(name, window), table, batch, properties)
