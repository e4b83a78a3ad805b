"""The command line's door: entries of the login, a query's tables and columns as the
enforcement point resolves them, and entries appended straight into a SQLite catalog read
back by the audit log exactly as its own."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta

from lakebox.access.audit import AuditLog
from lakebox.access.control import access_control
from lakebox.access.local import append, append_sqlite, cli_entry, os_user, query_entry
from lakebox.catalog.refs import sqlite_file
from lakebox.errors import QueryError
from lakebox.orchestration.runner import run
from tests.conftest import write_file


def test_the_cli_user_is_the_login():
    assert os_user() == getpass.getuser()
    made = cli_entry("run", detail="pipeline default")
    assert (made.user, made.door, made.action, made.detail) == (
        getpass.getuser(),
        "cli",
        "run",
        "pipeline default",
    )


def test_a_direct_append_reads_back_as_the_logs_own(tmp_path, sqlite_engine):
    path = tmp_path / "catalog.db"
    assert not append_sqlite(path, [cli_entry("query")])  # no file yet: the log makes it
    log = AuditLog(sqlite_engine)
    log.record(cli_entry("login", client="127.0.0.1"))
    log.flush()
    at = datetime.now(UTC) + timedelta(days=1)  # later than the login
    written = cli_entry("query", tables=["formatted.sales"], rows=2, duration_ms=1.5, at=at)
    assert append_sqlite(path, [written])
    newest, oldest = log.entries()
    assert oldest["action"] == "login"
    assert newest == {
        "id": oldest["id"] + 1,
        "at": at,
        "user": getpass.getuser(),
        "door": "cli",
        "action": "query",
        "tables": ["formatted.sales"],
        "columns": [],
        "rows": 2,
        "duration_ms": 1.5,
        "client": None,
        "outcome": "ok",
        "detail": None,
    }
    assert [e["id"] for e in log.entries(since=at)] == [newest["id"]]
    assert log.entries(since=at + timedelta(microseconds=1)) == []


def test_a_query_entry_names_what_it_read_or_why_it_failed(make_project, tmp_path):
    write_file(tmp_path / "in", "1.csv", "id,amount\n1,2.5\n2,3.5\n")
    lh = make_project({"sales": {"path": str(tmp_path / "in")}})
    run(lh)
    lh.query("SELECT 1")  # the engine's views are up to date
    made = query_entry(lh, "SELECT sum(amount) FROM formatted.sales", 1, 12.0)
    assert made.tables == ["formatted.sales"] and made.columns == ["formatted.sales.amount"]
    assert (made.rows, made.outcome, made.door) == (1, "ok", "cli")
    failed = query_entry(lh, "SELECT * FROM nosuch", None, 1.0, QueryError("no\nsecond line"))
    assert (failed.outcome, failed.detail, failed.tables) == ("failed", "QueryError", [])
    append(lh, [made, failed])  # the first entry of a project: made through the log
    assert sqlite_file(lh.catalog_uri) is not None
    shown = access_control(lh).audit.entries()
    assert [e["outcome"] for e in shown] == ["failed", "ok"]
    append(lh, [made])  # now straight into the file
    assert len(access_control(lh).audit.entries()) == 3
