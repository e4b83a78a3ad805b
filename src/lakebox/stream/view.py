"""What the live view reads of a stream: its declared windows, one key's closed windows
(from the window table, through the caller's read-only query runner, the key bound as a
parameter) and open ones (from the worker's status), the keys it knows, its status as plain
fields, and the open alerts of its rules (from ops.alerts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from lakebox.config.streams import StreamConfig
from lakebox.errors import StreamError
from lakebox.ground.clock import moment_of
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring import ledger
from lakebox.monitoring.ledger import AlertRecord
from lakebox.stream.events import ARROW_TYPES
from lakebox.stream.places import STATE_FOLDER
from lakebox.stream.status import StreamStatus, open_tables, read_status
from lakebox.stream.tables import window_ref, window_schema

BOUNDS = ("window_start", "window_end")
MAX_KEY_LENGTH = 200
MAX_KEYS = 1_000
STREAM_ALERTS = "streams"
Rows = list[dict[str, Any]]
# runs read-only SQL with its $name parameters bound, for at most `limit` rows
QueryRunner = Callable[[str, dict[str, object], int], Rows]


def known_stream(lh: Lakehouse, name: str) -> StreamConfig:
    """Return the config of stream `name`; a 404 StreamError naming the streams if unknown."""
    stream = lh.config.streams.get(name)
    if stream is None:
        known = ", ".join(sorted(lh.config.streams)) or "none"
        raise StreamError(
            f"no stream named {name!r} (declared: {known})",
            hint="streams are declared under streams: in lakebox.yaml (see docs/streams.md)",
            status=404,
        )
    return stream


def window_infos(name: str, stream: StreamConfig) -> list[dict[str, Any]]:
    """Return each declared window: name, kind, size, hop, gap, table and value columns."""
    return [
        {
            "name": window,
            "kind": config.kind,
            "size": _text(config.size),
            "every": _text(config.every),
            "gap": _text(config.gap),
            "table": window_ref(name, window).identifier,
            "columns": value_columns(stream, window),
        }
        for window, config in stream.windows.items()
    ]


def value_columns(stream: StreamConfig, window: str) -> list[str]:
    """Return a window table's value columns: events_count, aggregates, moving averages."""
    names = window_schema(stream, window).names
    return [column for column in names if column not in (stream.key, *BOUNDS)]


def _text(value: float | str | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class KeyView:
    """One key's windows of one window of one stream."""

    name: str
    stream: StreamConfig
    window: str
    key: Any
    columns: list[str]

    @classmethod
    def of(
        cls, lh: Lakehouse, name: str, window: str | None, key: str | None, required: bool = True
    ) -> KeyView:
        """Return the view of `key` in `window` (default: the stream's first window); a 404
        for an unknown stream or window, a 400 for a key of the wrong type or a missing one
        (unless not `required`: the view of no key has no windows)."""
        stream = known_stream(lh, name)
        chosen = _known_window(name, stream, window)
        typed = None if key is None and not required else key_value(stream, key)
        return cls(name, stream, chosen, typed, value_columns(stream, chosen))

    @property
    def kind(self) -> str:
        """Return the key column's type."""
        return self.stream.value_fields[self.stream.key]

    def closed(self, lh: Lakehouse, query: QueryRunner, limit: int) -> Rows:
        """Return the key's latest `limit` closed windows, oldest first (none before the
        window table's first commit)."""
        ref = window_ref(self.name, self.window)
        if self.key is None or ref not in lh.metadata_locations():
            return []
        sql = (
            f"SELECT * FROM {quote_identifier(ref.zone)}.{quote_identifier(ref.name)} "
            f"WHERE {quote_identifier(self.stream.key)} = CAST($key AS {self.kind}) "
            f"ORDER BY window_start DESC, window_end DESC LIMIT {int(limit)}"
        )
        rows = query(sql, {"key": str(self.key)}, limit)
        return sorted(rows, key=lambda row: (row["window_start"], row["window_end"]))

    @property
    def key_text(self) -> str | None:
        """Return the key as the status files' filter reads it (Arrow's text of the value)."""
        if self.key is None:
            return None
        value = pa.array([self.key], ARROW_TYPES[self.kind]).cast(pa.string())[0]
        return str(value.as_py())

    def status(self, lh: Lakehouse) -> StreamStatus:
        """Return the stream's status, with the key's open windows."""
        return read_status(lh, self.name, key=self.key_text, window=self.window)

    def open(self, status: StreamStatus) -> Rows:
        """Return the key's open windows in `status` (read with `key_text`), by start."""
        rows = status.open_windows.get(self.window, []) if self.key is not None else []
        return sorted(rows, key=lambda row: (row["window_start"], row["window_end"]))

    def open_keys(self, lh: Lakehouse) -> list[Any]:
        """Return the keys with an open window, sorted (at most `MAX_KEYS`)."""
        return sorted(open_keys(lh, self.name, self.stream.key, self.window), key=str)[:MAX_KEYS]

    def table_version(self, lh: Lakehouse) -> str | None:
        """Return the window table's current metadata file (it changes with every commit)."""
        return lh.metadata_locations().get(window_ref(self.name, self.window))


def _known_window(name: str, stream: StreamConfig, window: str | None) -> str:
    if not stream.windows:
        raise StreamError(f"stream {name!r} declares no windows", status=404)
    if window is None:
        return next(iter(stream.windows))
    if window not in stream.windows:
        raise StreamError(
            f"stream {name!r} has no window {window!r} (windows: {', '.join(stream.windows)})",
            status=404,
        )
    return window


def key_value(stream: StreamConfig, text: str | None) -> Any:
    """Return key text `text` as a value of the key column's type; a 400 StreamError if
    it is missing or not of that type."""
    if text is None or not text.strip():
        raise StreamError(
            f"which {stream.key}? the key is required",
            hint=f"add ?key=<a {stream.key}> to the address",
            status=400,
        )
    if len(text) > MAX_KEY_LENGTH:
        raise StreamError(f"the key is longer than {MAX_KEY_LENGTH} characters", status=400)
    kind = stream.value_fields[stream.key]
    try:
        return _typed(text, kind)
    except ValueError:
        raise StreamError(f"{stream.key} is {kind}, and {text!r} is not one", status=400) from None


def _typed(text: str, kind: str) -> Any:
    if kind in ("BIGINT", "INTEGER"):
        return int(text)
    if kind in ("DOUBLE", "FLOAT"):
        return float(text)
    if kind == "BOOLEAN":
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    if kind == "TIMESTAMPTZ":
        return moment_of(text)
    return text


def open_keys(lh: Lakehouse, name: str, key: str, window: str) -> set[Any]:
    """Return the keys with an open window of `window`, from the worker's files of open
    windows (one per partition and window, next to its status)."""
    folder = lh.project_dir / STATE_FOLDER / name
    found: set[Any] = set()
    for _, table in open_tables(folder, window, [key]):
        found |= set(table.column(0).to_pylist())
    return found - {None}


def stream_keys(lh: Lakehouse, query: QueryRunner, view: KeyView) -> list[Any]:
    """Return the keys of a window: those with an open window and those in its table."""
    found = set(view.open_keys(lh))
    ref = window_ref(view.name, view.window)
    if ref in lh.metadata_locations():
        key = quote_identifier(view.stream.key)
        sql = (
            f"SELECT DISTINCT {key} AS key FROM "
            f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)} ORDER BY 1"
        )
        found |= {row["key"] for row in query(sql, {}, MAX_KEYS)}
    return sorted(found - {None}, key=str)[:MAX_KEYS]


def open_alerts(lh: Lakehouse) -> dict[str, list[AlertRecord]]:
    """Return the open alerts of streams' rules in ops.alerts, by stream, newest first."""
    with lh.engine.lock:
        records = ledger.load(lh).values()
    found: dict[str, list[AlertRecord]] = {}
    for record in sorted(records, key=lambda record: record.opened_at, reverse=True):
        if record.kind == STREAM_ALERTS and record.status == "open":
            found.setdefault(record.source, []).append(record)
    return found


def status_fields(status: StreamStatus) -> dict[str, Any]:
    """Return a status as plain fields (without its open windows)."""
    return {key: value for key, value in vars(status).items() if key != "open_windows"}


def alert_fields(record: AlertRecord) -> dict[str, Any]:
    """Return what the live view shows of an alert."""
    keep = ("incident_id", "subject", "severity", "opened_at", "notified_at", "last_error")
    return {name: getattr(record, name) for name in keep}
