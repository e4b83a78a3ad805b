"""What one live client of a stream is told, tick after tick: first a snapshot (the key's
latest closed windows, its open ones, the status, the keys, the open alerts), then what
changed (the windows closed since, read again only when the window table has a new commit;
the open windows and the status every time; the keys when they change; the alerts now and
then). The transport (server-sent events in `serving`) frames and paces what it gives."""

from __future__ import annotations

import time
from typing import Any

from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.stream.view import KeyView, QueryRunner, Rows, alert_fields, open_alerts, status_fields

ALERTS_EVERY = 5  # ticks between two readings of ops.alerts


class Follower:
    """The state of one live client: the closed windows it was sent, the window table's
    version they were read at, and the keys it knows."""

    def __init__(self, lh: Lakehouse, view: KeyView, query: QueryRunner, limit: int) -> None:
        self.lh, self.view, self.query, self.limit = lh, view, query, limit
        self.ticks = 0
        self.version: str | None = None
        self.sent: set[tuple[Any, Any]] = set()
        self.keys: list[Any] | None = None

    def next(self) -> tuple[str, dict[str, Any]]:
        """Return the next event's name and data: `snapshot` first, then `tick`s; `problem`
        (the error and its hint) when the lake cannot be read now (the next tick tries again)."""
        name = "snapshot" if self.ticks == 0 else "tick"
        try:
            payload = self._payload()
        except LakeboxError as error:
            payload, name = {"error": error.message, "hint": error.hint}, "problem"
        self.ticks += 1
        return name, payload

    def _payload(self) -> dict[str, Any]:
        status = self.view.status(self.lh)
        fields = status_fields(status)
        payload: dict[str, Any] = {
            "at": time.time(),
            "status": {key: value for key, value in fields.items() if key != "name"},
            "open": self.view.open(status),
            "closed": self._new_closed(),
        }
        keys = self.view.open_keys(self.lh)
        if keys != self.keys:
            payload["keys"] = self.keys = keys
        if self.ticks % ALERTS_EVERY == 0:
            found = open_alerts(self.lh).get(self.view.name, [])
            payload["alerts"] = [alert_fields(record) for record in found]
        return payload

    def _new_closed(self) -> Rows:
        """Return the closed windows not sent yet (all of them the first time)."""
        version = self.view.table_version(self.lh)
        if version == self.version:
            return []
        rows = self.view.closed(self.lh, self.query, self.limit)
        self.version = version
        fresh = [row for row in rows if _stamp(row) not in self.sent]
        self.sent = {_stamp(row) for row in rows}
        return fresh


def _stamp(row: dict[str, Any]) -> tuple[Any, Any]:
    return row["window_start"], row["window_end"]
