"""The saved state of a pulled source: the cursor its last committed batch reached.

The state is never kept apart from the data. Each batch's formatted (and quarantine) commit
carries the cursor the batch reached in its Iceberg snapshot properties, in the same atomic
commit as the rows, and the state is read back from there: it advances exactly when a
batch's data is committed, and never otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from lakebox.catalog import CURSOR_PROPERTY, TableRef
from lakebox.catalog.iceberg import BATCH_PROPERTY, snapshot_properties
from lakebox.config import IncrementalConfig, lookback_seconds
from lakebox.errors import ConfigError
from lakebox.lakehouse import Lakehouse

CursorType = Literal["timestamp", "date", "integer", "decimal", "string"]


@dataclass(frozen=True)
class Cursor:
    """How far a source has been read: the largest value of its cursor column or field."""

    field: str
    value: str  # the value as text: ISO-8601 for times, digits for numbers
    type: CursorType

    def to_json(self) -> str:
        """Return the cursor as JSON (how it is kept in commits and the manifest)."""
        return json.dumps({"field": self.field, "value": self.value, "type": self.type})

    @classmethod
    def from_json(cls, text: str) -> Cursor:
        """Return the cursor kept as `text`."""
        data = json.loads(text)
        return cls(data["field"], data["value"], data["type"])

    @classmethod
    def of(cls, field: str, value: object) -> Cursor:
        """Return the cursor for a value read from the data."""
        if isinstance(value, datetime):
            return cls(field, value.isoformat(), "timestamp")
        if isinstance(value, date):
            return cls(field, value.isoformat(), "date")
        if isinstance(value, bool):
            return cls(field, str(value), "string")
        if isinstance(value, int):
            return cls(field, str(value), "integer")
        if isinstance(value, Decimal | float):
            return cls(field, str(value), "decimal")
        return cls(field, str(value), "string")

    @classmethod
    def parse(cls, field: str, text: str) -> Cursor:
        """Return the cursor for a value written as text (an `initial` value, an API field)."""
        return cls.of(field, parse_value(text))

    def typed(self) -> object:
        """Return the value as the Python object its type stands for."""
        if self.type == "timestamp":
            return datetime.fromisoformat(self.value.replace("Z", "+00:00"))
        if self.type == "date":
            return date.fromisoformat(self.value)
        if self.type == "integer":
            return int(self.value)
        if self.type == "decimal":
            return Decimal(self.value)
        return self.value

    def minus(self, lookback: int | str | None) -> Cursor:
        """Return the cursor moved back by a lookback window (a duration, or a number)."""
        if lookback is None:
            return self
        value = self.typed()
        if isinstance(value, datetime | date):
            seconds = lookback if isinstance(lookback, int) else lookback_seconds(lookback)
            return Cursor.of(self.field, value - timedelta(seconds=seconds))
        if isinstance(value, int | Decimal) and isinstance(lookback, int):
            return Cursor.of(self.field, value - lookback)
        raise ConfigError(
            f"lookback {lookback!r} does not fit the cursor {self.field!r} ({self.type})",
            hint="use a duration like '2h' for time cursors and a number for numeric ones",
        )


@dataclass(frozen=True)
class Window:
    """A backfill's range of cursor values: from `start` (included) to `end` (excluded)."""

    start: Cursor
    end: Cursor

    def to_json(self) -> str:
        """Return the window as JSON (how the manifest marks a backfill's batch)."""
        return json.dumps(
            {
                "field": self.start.field,
                "from": self.start.value,
                "to": self.end.value,
                "type": self.start.type,
            }
        )


def parse_value(text: str) -> object:
    """Return `text` as an integer, a decimal, a time, a date, or itself."""
    stripped = text.strip()
    if re.fullmatch(r"-?[0-9]+", stripped):
        return int(stripped)
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", stripped):
        return Decimal(stripped)
    for parse in (datetime.fromisoformat, date.fromisoformat):
        try:
            return parse(stripped.replace("Z", "+00:00"))
        except ValueError:
            continue
    return text


def later(first: Cursor | None, second: Cursor | None) -> Cursor | None:
    """Return whichever cursor is further on (a missing one counts as the start)."""
    if first is None or second is None:
        return first or second
    one, other = first.typed(), second.typed()
    try:
        return second if other > one else first  # type: ignore[operator]
    except TypeError:
        return second


def committed(lh: Lakehouse, source_name: str) -> Cursor | None:
    """Return the cursor of the source's newest committed batch, read from its commits."""
    newest: tuple[str, str] | None = None
    for zone in ("formatted", "quarantine"):
        table = lh.catalog.load(TableRef(zone, source_name))
        for snapshot in table.snapshots() if table is not None else []:
            properties = snapshot_properties(snapshot)
            if CURSOR_PROPERTY not in properties:
                continue
            batch = max(json.loads(properties.get(BATCH_PROPERTY, "[]")) or [""])
            if newest is None or batch > newest[0]:
                newest = (batch, properties[CURSOR_PROPERTY])
    return Cursor.from_json(newest[1]) if newest else None


def start(lh: Lakehouse, source_name: str, incremental: IncrementalConfig) -> Cursor | None:
    """Return where an incremental pull starts: the committed cursor less the lookback, or
    the configured initial value, or None (everything)."""
    cursor = committed(lh, source_name)
    if cursor is not None:
        return cursor.minus(incremental.lookback)
    if incremental.initial is not None:
        return Cursor.parse(incremental.cursor, incremental.initial)
    return None
