"""The command line's door: its user is the operating-system login running `lakebox`, who
owns the project's files and so is its admin, never restricted. What it reads (`lakebox
query`), runs and changes (users, tokens, grants) is still written to the audit log, as door
`cli`. A query's entry goes straight into a SQLite catalog's file, so that `lakebox query`
loads neither SQLAlchemy nor pyiceberg; the first entry, and a catalog on a server, go
through the audit log of `access_control`."""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from lakebox.access.entry import AuditEntry, failure
from lakebox.catalog.refs import BUSY_TIMEOUT, has_table, sqlite_file
from lakebox.errors import LakeboxError

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse

DOOR = "cli"
AUDIT_TABLE = "lakebox_audit"
# how SQLAlchemy keeps a DateTime in SQLite (the log reads these rows back through it)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def os_user() -> str:
    """Return the name of the operating-system user running this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"uid {os.getuid()}"


def cli_entry(action: str, **fields: object) -> AuditEntry:
    """Return an audit entry of the command line's user for `action`."""
    return AuditEntry(os_user(), DOOR, action, **fields)  # type: ignore[arg-type]


def query_reads(lh: Lakehouse, sql: str) -> dict[str, list[str]]:
    """Return the tables `sql` reads (zone.table → the columns it uses), as the enforcement
    point resolves them for an admin; nothing when the statement cannot be parsed."""
    from lakebox.access.principal import Principal
    from lakebox.access.relations import relations_in
    from lakebox.access.secure import secure

    with lh.engine.lock:
        tables = relations_in(lh.engine.connection)
    try:
        return secure(sql, Principal.local(os_user()), tables).reads
    except LakeboxError:
        return {}


def query_entry(
    lh: Lakehouse,
    sql: str,
    rows: int | None,
    duration_ms: float,
    error: LakeboxError | None = None,
) -> AuditEntry:
    """Return the audit entry of `lakebox query` running `sql`: what it read and how many
    rows it gave, or why it failed."""
    reads = query_reads(lh, sql)
    return cli_entry(
        "query",
        tables=list(reads),
        columns=[f"{table}.{column}" for table, names in reads.items() for column in names],
        rows=rows,
        duration_ms=round(duration_ms, 3),
        outcome="ok" if error is None else "failed",
        detail=None if error is None else failure(error),
    )


def append(lh: Lakehouse, entries: Iterable[AuditEntry]) -> None:
    """Write `entries` to the audit log now: into a SQLite catalog's file directly when its
    audit table exists, else through the project's audit log."""
    listed = list(entries)
    path = sqlite_file(lh.catalog_uri)
    if path is not None and append_sqlite(path, listed):
        return
    from lakebox.access.control import access_control

    control = access_control(lh)
    for entry in listed:
        control.record(entry)
    control.audit.flush()


def append_sqlite(path: Path, entries: list[AuditEntry]) -> bool:
    """Append `entries` to the audit table of SQLite file `path` as the log writes them;
    False when the file or the table does not exist yet (the log creates it)."""
    if not path.is_file():
        return False
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
    try:
        if not has_table(connection, AUDIT_TABLE):
            return False
        rows = [_sqlite_row(entry) for entry in entries]
        if rows:
            names = list(rows[0])
            placeholders = ", ".join(f":{name}" for name in names)
            columns = ", ".join(f'"{name}"' for name in names)
            with connection:
                connection.executemany(
                    f"INSERT INTO {AUDIT_TABLE} ({columns}) VALUES ({placeholders})", rows
                )
    finally:
        connection.close()
    return True


def _sqlite_row(entry: AuditEntry) -> dict[str, object]:
    values = entry.values()
    values["at"] = entry.at.astimezone(UTC).strftime(_SQLITE_TIME)
    return values
