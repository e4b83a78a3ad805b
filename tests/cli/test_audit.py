"""`lakebox audit`: the log newest first, filtered by user, table, time and action; and what
the command line writes to it — each `lakebox query` and `lakebox run` as the login's, door
cli, with the tables a query read and its rows, or why it failed."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lakebox.cli.audit import since_moment
from lakebox.errors import ConfigError
from tests.cli.conftest import lakebox, new_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = new_project(tmp_path_factory.mktemp("audit"))
    assert lakebox("run", "-q", cwd=project).returncode == 0
    sql = "SELECT s.id, s.amount FROM formatted.sales s JOIN landing.manifest m ON true"
    assert lakebox("query", sql, "--format", "json", cwd=project).returncode == 0
    assert lakebox("query", "SELECT * FROM nosuch", cwd=project).returncode == 1
    added = lakebox("users", "add", "ann", "--role", "viewer", "--no-password", cwd=project)
    assert added.returncode == 0, added.stderr
    return project


def audit(project: Path, *args: str) -> list[dict]:
    done = lakebox("audit", *args, "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_cli_query_is_audited_as_the_login_with_what_it_read(project):
    failed, ok = audit(project, "--action", "query")
    login = getpass.getuser()
    assert (ok["user"], ok["door"], ok["outcome"], ok["rows"]) == (login, "cli", "ok", 2)
    assert ok["tables"] == ["formatted.sales", "landing.manifest"]
    assert ok["columns"] == ["formatted.sales.amount", "formatted.sales.id"]
    assert ok["duration_ms"] > 0 and ok["detail"] is None
    assert (failed["outcome"], failed["rows"], failed["tables"]) == ("failed", None, [])
    assert (
        failed["detail"] == "QueryError"
    )  # the kind of error: an engine's message may quote a value


def test_a_run_is_audited_with_its_pipeline(project):
    [run] = audit(project, "--action", "run")
    assert (run["user"], run["door"], run["outcome"]) == (getpass.getuser(), "cli", "ok")
    assert run["detail"].startswith("pipeline default: steps every step, each if stale; run ")


def test_filters_by_user_table_time_and_action(project):
    everything = audit(project)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert {e["action"] for e in everything} == {"run", "query", "grant change"}
    assert [e["action"] for e in audit(project, "--table", "landing.manifest")] == ["query"]
    assert audit(project, "--table", "formatted.nosuch") == []
    assert len(audit(project, "--user", getpass.getuser())) == len(everything)
    assert audit(project, "--user", "ann") == []
    assert len(audit(project, "--since", "1h")) == len(everything)
    tomorrow = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    assert audit(project, "--since", tomorrow) == []
    [newest] = audit(project, "--limit", "1")
    assert newest == everything[0] and newest["detail"] == "user ann added with roles viewer"


def test_the_table_and_bad_filters(project):
    text = lakebox("audit", "--limit", "3", cwd=project).stdout
    assert "audit log (newest first)" in text and "grant change" in text
    for args, message in [
        (("--since", "yesterday"), "--since 'yesterday' is neither a date nor a duration"),
        (("--action", "hack"), "--action 'hack' is not an action"),
        (("--table", "sales"), "--table 'sales' is not zone.table"),
        (("--limit", "0"), "--limit 0 must be 1 or more"),
    ]:
        failed = lakebox("audit", *args, cwd=project)
        assert failed.returncode == 1 and message in failed.stderr, failed.stderr
    assert "no audit entries match" in lakebox("audit", "--user", "zed", cwd=project).stdout


def test_since_takes_a_date_a_time_or_a_duration():
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert since_moment("2d", now) == now - timedelta(days=2)
    assert since_moment("30m", now) == now - timedelta(minutes=30)
    assert since_moment("1w", now) == now - timedelta(weeks=1)
    assert since_moment("2026-12-01", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert since_moment("2026-12-01T10:00+02:00", now) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    with pytest.raises(ConfigError):
        since_moment("soon", now)
