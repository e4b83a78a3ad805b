"""The audit log, `ops.audit`: who read what, through which door, when, how many rows and how
long it took, every login and failed login, grant changes and runs — never the data.
Entries are appended to a table of the catalog database that refuses updates and deletes;
a background thread writes them in small batches so that a query never waits on it."""

from __future__ import annotations

import atexit
import json
import threading
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime

import pyarrow as pa
import sqlalchemy as sa

from lakebox.access.entry import ACTIONS, DOORS, AuditEntry
from lakebox.access.store import audit_table, ready

__all__ = ["ACTIONS", "DOORS", "SCHEMA", "AuditEntry", "AuditLog", "audit_log", "to_arrow"]

FLUSH_SECONDS = 0.5
_LOGS: weakref.WeakValueDictionary[int, AuditLog] = weakref.WeakValueDictionary()
_LOGS_LOCK = threading.Lock()


def audit_log(engine: sa.Engine) -> AuditLog:
    """Return the one audit log writing to `engine`'s database in this process."""
    with _LOGS_LOCK:
        log = _LOGS.get(id(engine))
        if log is None or log.engine is not engine:
            log = AuditLog(engine)
            _LOGS[id(engine)] = log
        return log


@atexit.register
def _flush_all() -> None:
    """Write what every audit log of this process still holds (at exit)."""
    for log in list(_LOGS.values()):
        try:
            log.flush()
        except sa.exc.SQLAlchemyError:  # the database is gone (a removed test project)
            continue


class AuditLog:
    """Appends entries to `lakebox_audit`; `flush` writes what is pending at once."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = ready(engine)
        self._pending: list[AuditEntry] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(self, entry: AuditEntry) -> None:
        """Queue `entry`; it is written within about half a second."""
        with self._lock:
            self._pending.append(entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lakebox-audit", daemon=True)
                self._thread.start()
        # not woken at once: the entries of half a second go in one write (each write locks
        # the catalog database, which every served query reads)

    def flush(self) -> None:
        """Write every pending entry now."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return
            with self.engine.begin() as connection:
                connection.execute(audit_table.insert(), [entry.values() for entry in pending])

    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            try:
                self.flush()
            except sa.exc.SQLAlchemyError:  # the database is gone (the project closed)
                return
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return

    def entries(
        self,
        user: str | None = None,
        table: str | None = None,
        since: datetime | None = None,
        action: str | None = None,
        limit: int = 1000,
    ) -> list[dict[str, object]]:
        """Return the latest entries (newest first) matching the filters."""
        self.flush()
        query = audit_table.select().order_by(audit_table.c.id.desc()).limit(limit)
        if user is not None:
            query = query.where(audit_table.c.user_name == user)
        if since is not None:
            query = query.where(audit_table.c.at >= since)
        if action is not None:
            query = query.where(audit_table.c.action == action)
        if table is not None:
            query = query.where(audit_table.c.tables.like(f'%"{_like(table)}"%', escape="\\"))
        with self.engine.connect() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def arrow(self) -> pa.Table:
        """Return the whole log as an Arrow table (what `ops.audit` shows)."""
        return to_arrow(self.entries(limit=1_000_000))


SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("user", pa.string()),
        ("door", pa.string()),
        ("action", pa.string()),
        ("tables", pa.list_(pa.string())),
        ("columns", pa.list_(pa.string())),
        ("rows", pa.int64()),
        ("duration_ms", pa.float64()),
        ("client", pa.string()),
        ("outcome", pa.string()),
        ("detail", pa.string()),
    ]
)


def to_arrow(entries: Iterable[dict[str, object]]) -> pa.Table:
    listed = list(entries)
    return pa.Table.from_pylist(listed, schema=SCHEMA)


def _entry(row: sa.Row[object]) -> dict[str, object]:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    return {
        "id": row.id,
        "at": at,
        "user": row.user_name,
        "door": row.door,
        "action": row.action,
        "tables": json.loads(row.tables),
        "columns": json.loads(row.columns),
        "rows": row.rows,
        "duration_ms": row.duration_ms,
        "client": row.client,
        "outcome": row.outcome,
        "detail": row.detail,
    }


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
