"""The audit log on a real catalog database: entries written by the background writer or at
once, read back newest first with filters, as Arrow for `ops.audit`, and append-only — the
database itself refuses an UPDATE, a DELETE (and on PostgreSQL a TRUNCATE) of its rows."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lakebox.access.audit import SCHEMA, AuditEntry, AuditLog, audit_log


def entry(user: str = "ann", action: str = "query", **fields: object) -> AuditEntry:
    return AuditEntry(user, "http", action, **fields)  # type: ignore[arg-type]


def test_entries_come_back_newest_first_with_what_was_recorded(catalog_engine):
    log = AuditLog(catalog_engine)
    log.record(entry(tables=["formatted.sales"], columns=["formatted.sales.id"], rows=3))
    log.record(entry("bob", "login", client="10.0.0.7"))
    log.flush()
    newest, oldest = log.entries()
    assert (newest["user"], newest["action"], newest["client"]) == ("bob", "login", "10.0.0.7")
    assert oldest["tables"] == ["formatted.sales"] and oldest["rows"] == 3
    assert oldest["columns"] == ["formatted.sales.id"] and oldest["outcome"] == "ok"
    assert oldest["at"].tzinfo is not None and oldest["id"] < newest["id"]


def test_the_background_writer_writes_without_a_flush(sqlite_engine):
    log = AuditLog(sqlite_engine)
    log.record(entry(detail="background"))
    deadline = time.monotonic() + 60
    written: list[str] = []
    while not written and time.monotonic() < deadline:  # read the table, never the queue
        time.sleep(0.05)
        with sqlite_engine.connect() as connection:
            query = sa.text("SELECT detail FROM lakebox_audit")
            written = list(connection.execute(query).scalars())
    assert written == ["background"]


def test_filters_by_user_table_time_and_action(sqlite_engine):
    log = AuditLog(sqlite_engine)
    long_ago = datetime.now(UTC) - timedelta(days=3)
    log.record(entry("ann", tables=["formatted.sales"], at=long_ago))
    log.record(entry("ann", tables=["formatted.sales_eu", "exploitation.daily"]))
    log.record(entry("bob", "grant change", detail="user ann added"))
    log.record(entry("bob", tables=["formatted.sales%"]))
    assert [e["user"] for e in log.entries(user="ann")] == ["ann", "ann"]
    assert len(log.entries(table="formatted.sales")) == 1  # not sales_eu: whole names only
    assert [e["user"] for e in log.entries(table="formatted.sales%")] == ["bob"]  # no wildcard
    assert len(log.entries(since=datetime.now(UTC) - timedelta(days=1))) == 3
    assert [e["detail"] for e in log.entries(action="grant change")] == ["user ann added"]
    assert len(log.entries(limit=2)) == 2


def test_an_entry_keeps_names_and_counts_bounded(sqlite_engine):
    log = AuditLog(sqlite_engine)
    log.record(entry("u" * 100, client="c" * 300, detail="d" * 3000, tables=["a.b", "a.b"]))
    [found] = log.entries()
    assert (len(found["user"]), len(found["client"]), len(found["detail"])) == (64, 200, 2000)
    assert found["tables"] == ["a.b"]


def test_the_log_as_arrow_has_the_schema_of_ops_audit(sqlite_engine):
    log = AuditLog(sqlite_engine)
    log.record(entry(tables=["exploitation.daily"], rows=1, duration_ms=2.5))
    table = log.arrow()
    assert table.schema == SCHEMA and table.num_rows == 1
    assert table.column("tables").to_pylist() == [["exploitation.daily"]]


def test_one_log_per_engine_in_a_process(sqlite_engine):
    assert audit_log(sqlite_engine) is audit_log(sqlite_engine)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE lakebox_audit SET user_name = 'mallory'", "DELETE FROM lakebox_audit"],
)
def test_the_audit_table_is_append_only(catalog_engine, statement):
    log = AuditLog(catalog_engine)
    log.record(entry())
    log.flush()
    append_only = pytest.raises(sa.exc.DatabaseError, match="the audit log is append-only")
    with append_only, catalog_engine.begin() as connection:
        connection.execute(sa.text(statement))
    assert [e["user"] for e in log.entries()] == ["ann"]


@pytest.mark.postgres
def test_truncating_the_audit_table_fails_on_postgresql(postgres_engine):
    log = AuditLog(postgres_engine)
    log.record(entry())
    log.flush()
    append_only = pytest.raises(sa.exc.DatabaseError, match="the audit log is append-only")
    with append_only, postgres_engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE lakebox_audit"))
    assert len(log.entries()) == 1
