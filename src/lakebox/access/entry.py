"""`AuditEntry`: one line of the audit log — who did what through which door, with the tables
and columns it read and how many rows it gave, never a value of the data. Kept apart from the
log's writer so that a command can make one without loading the database layer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lakebox.errors import LakeboxError

DOORS = ("http", "ui", "pg", "cli")
ACTIONS = (
    "query",
    "read table",
    "download",
    "login",
    "failed login",
    "logout",
    "grant change",
    "run",
    "dictionary edit",
)
OUTCOMES = ("ok", "refused", "failed")


@dataclass
class AuditEntry:
    """One thing a user did: never a value of the data, only names, counts and times."""

    user: str
    door: str
    action: str
    tables: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: int | None = None
    duration_ms: float | None = None
    client: str | None = None
    outcome: str = "ok"  # ok, refused, failed
    detail: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def values(self) -> dict[str, object]:
        """Return the entry as the columns of `lakebox_audit` hold it."""
        return {
            "at": self.at,
            "user_name": self.user[:64],
            "door": self.door,
            "action": self.action,
            "tables": json.dumps(sorted(set(self.tables))),
            "columns": json.dumps(sorted(set(self.columns))),
            "rows": self.rows,
            "duration_ms": self.duration_ms,
            "client": (self.client or "")[:200] or None,
            "outcome": self.outcome,
            "detail": (self.detail or "")[:2000] or None,
        }


def failure(error: LakeboxError) -> str:
    """Return what the audit log keeps of a failed query: the kind of error, never its
    message (an engine's message may quote a value of the data)."""
    kind = error.fields.get("kind") or type(error).__name__
    sqlstate = error.fields.get("sqlstate")
    return f"{kind}" + (f" (SQLSTATE {sqlstate})" if sqlstate else "")
