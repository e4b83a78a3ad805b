"""The `lakebox` command: every command run as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import lakebox
from tests.conftest import write_file


def test_init_writes_a_commented_project(tmp_path):
    result = lakebox("init", "new", "--name", "acme", cwd=tmp_path)

    text = (tmp_path / "new" / "lakebox.yaml").read_text()
    assert result.returncode == 0
    assert "name: acme" in text and "# Sources:" in text
    assert (tmp_path / "new" / "models").is_dir()


def test_init_refuses_an_existing_project(project):
    result = lakebox("init", ".", cwd=project)
    assert result.returncode == 1
    assert "exists already" in result.stderr and "Traceback" not in result.stderr


def test_source_add_suggests_lakebox_run_as_the_readme_does(tmp_path):
    assert lakebox("init", "shop", cwd=tmp_path).returncode == 0
    added = lakebox("source", "add", "sales", "--path", "x/*.csv", cwd=tmp_path / "shop")
    assert added.returncode == 0, added.stderr
    assert "with 'lakebox run'" in added.stdout and "ingest" not in added.stdout


def test_source_add_keeps_the_comments_and_validates(project):
    text = (project / "lakebox.yaml").read_text()
    assert "# Where bytes live" in text
    assert "sales:" in text and "Europe/Madrid" in text
    listed = json.loads(lakebox("source", "list", "--json", cwd=project).stdout)
    assert listed["sales"]["key"] == ["id"]
    again = lakebox("source", "add", "sales", "--path", "x", cwd=project)
    assert again.returncode == 1 and "exists already" in again.stderr


def test_run_reports_json_for_scripts(project):
    result = lakebox("run", "--json", cwd=project)

    document = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    [formatted] = document["formatted"]
    assert formatted["counts"] == {
        "rows_read": 4,
        "rows_formatted": 2,
        "rows_quarantined": 1,
        "rows_duplicate": 1,
    }
    assert len(document["landed"]) == 1


def test_run_quiet_prints_nothing(project):
    result = lakebox("run", "--quiet", cwd=project)
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("output_format", ["csv", "json", "parquet"])
def test_query_formats(ran, output_format):
    target = ran / f"out.{output_format}"

    result = lakebox(
        "query",
        "SELECT id, amount FROM formatted.sales ORDER BY id",
        "--format",
        output_format,
        "--output",
        str(target),
        cwd=ran,
    )

    assert result.returncode == 0, result.stderr
    if output_format == "csv":
        assert target.read_text().splitlines() == ['"id","amount"', "1,10", "2,20"]
    elif output_format == "json":
        assert json.loads(target.read_text()) == [{"id": 1, "amount": 10}, {"id": 2, "amount": 20}]
    else:
        assert pq.read_table(target).to_pylist() == [
            {"id": 1, "amount": 10},
            {"id": 2, "amount": 20},
        ]


def test_query_as_of_and_history(project):
    lakebox("run", "-q", cwd=project)
    write_file(project / "exports", "2.csv", "id,amount\n4,40\n")
    lakebox("run", "-q", cwd=project)

    snapshots = json.loads(lakebox("history", "formatted.sales", "--json", cwd=project).stdout)
    first = str(snapshots[0]["snapshot_id"])
    old = lakebox(
        "query",
        "SELECT count(*) AS n FROM formatted.sales",
        "--format",
        "json",
        "--as-of",
        first,
        cwd=project,
    )
    new = lakebox(
        "query", "SELECT count(*) AS n FROM formatted.sales", "--format", "json", cwd=project
    )

    assert len(snapshots) == 2 and "lakebox.batch-ids" not in snapshots[0]["batch_ids"]
    assert json.loads(old.stdout) == [{"n": 2}]
    assert json.loads(new.stdout) == [{"n": 3}]


def test_tables_lists_every_zone(ran):
    tables = json.loads(lakebox("tables", "--json", cwd=ran).stdout)
    assert {row["table"]: row["rows"] for row in tables} == {
        "formatted.sales": 2,
        "quarantine.sales": 1,
        "ops.runs": 1,  # the run's history: one run of three steps
        "ops.step_runs": 3,
        "ops.table_versions": 2,  # its lineage: the formatted and quarantine versions,
        "ops.column_lineage": 2,  # each made from the landed file; id and amount
    }


def test_bad_sql_is_a_clear_error_not_a_traceback(ran):
    result = lakebox("query", "SELEC 1", cwd=ran)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the SQL does not parse")
    assert "Traceback" not in result.stderr


def test_a_broken_project_file_names_the_line(project):
    (project / "lakebox.yaml").write_text("name: x\nsources:\n  sales:\n    paht: a\n")
    result = lakebox("run", cwd=project)
    assert result.returncode == 1
    assert "lakebox.yaml:4: sources.sales.paht: unknown key 'paht'" in result.stderr


def test_source_add_rejects_an_unknown_format_clearly(project):
    result = lakebox("source", "add", "more", "--path", "x", "--format", "xml", cwd=project)
    assert result.returncode == 1
    assert result.stderr.startswith("error: --format:") and "Traceback" not in result.stderr


def test_run_select_of_an_unknown_model_is_an_error(ran):
    result = lakebox("run", "--select", "nosuch", cwd=ran)
    assert result.returncode == 1 and "no model named 'nosuch'" in result.stderr


def test_query_output_needs_a_file_format(ran):
    result = lakebox("query", "SELECT 1", "--output", str(ran / "x"), cwd=ran)
    assert result.returncode == 1 and "--output needs --format" in result.stderr


def test_source_add_a_database_source_with_an_env_password(project, monkeypatch):
    monkeypatch.setenv("SHOP_PW", "pa55word")
    url = "postgresql://reader:${SHOP_PW}@127.0.0.1:5432/shop"
    added = lakebox(
        "source", "add", "orders", "--kind", "postgres", "--url", url, "--table", "public.orders",
        "--cursor", "updated_at", "--key", "id", cwd=project,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    text = (project / "lakebox.yaml").read_text()
    assert "${SHOP_PW}" in text and "pa55word" not in text
    listed = lakebox("source", "list", cwd=project)
    assert "postgresql://reader@127.0.0.1:5432/shop (public.orders)" in listed.stdout
    assert "pa55word" not in listed.stdout
    missing = lakebox("source", "add", "api", "--kind", "http", "--cursor", "ts", cwd=project)
    assert missing.returncode == 1 and "needs 'url'" in missing.stderr


def test_an_incremental_sqlite_source_from_the_command_line(project):
    import sqlite3

    with sqlite3.connect(project / "app.db") as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany("INSERT INTO events VALUES (?, ?)", [(1, "a"), (2, "b")])
    added = lakebox(
        "source", "add", "events", "--kind", "sqlite", "--url", "sqlite:///app.db",
        "--table", "events", "--cursor", "id", cwd=project,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert lakebox("ingest", "--source", "events", cwd=project).returncode == 0
    with sqlite3.connect(project / "app.db") as connection:
        connection.execute("INSERT INTO events VALUES (3, 'c')")
    assert lakebox("ingest", "--source", "events", cwd=project).returncode == 0
    history = json.loads(lakebox("history", "formatted.events", "--json", cwd=project).stdout)
    assert [row["cursor"] for row in history] == ["id = 2", "id = 3"]
    assert [row["total_rows"] for row in history] == ["2", "3"]


def test_checks_show_the_latest_results_and_run_on_demand(project):
    (project / "models" / "by_store.sql").write_text(
        "-- checks:\n--   - unique: big\n--   - {row_count: {min: 100}, severity: warn}\n"
        "SELECT amount > 5 AS big, count(*) AS n FROM formatted.sales GROUP BY big\n"
    )
    ran = lakebox("run", "--json", cwd=project)
    assert ran.returncode == 0, ran.stderr
    checks = json.loads(ran.stdout)["checks"]
    assert {(c["check"], c["status"]) for c in checks} == {
        ("unique(big)", "pass"),
        ("row_count", "warn"),
    }
    shown = lakebox("checks", "--json", cwd=project)
    assert shown.returncode == 0
    assert len(json.loads(shown.stdout)) == 2
    again = lakebox("checks", "exploitation.by_store", "--run", cwd=project)
    assert again.returncode == 0 and "row_count" in again.stdout and "warn" in again.stdout


def test_serve_refuses_another_address_with_a_short_token(ran):
    result = lakebox(
        "serve", "--host", "0.0.0.0", "--token-env", "SHORT_TOKEN", cwd=ran,
        env={**os.environ, "SHORT_TOKEN": "short"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "binding 0.0.0.0 needs a token of at least 32" in result.stderr


def _answer(url: str, process: subprocess.Popen, seconds: float):
    """Return the first HTTP answer of `url` from the server `process` is starting."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline and process.poll() is None, process.stderr.read()
            time.sleep(0.3)


def _first_run(url: str, process: subprocess.Popen, seconds: float) -> str:
    """Return the status of the first run listed on the Runs page at `url`, once it shows."""
    import re
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while not (found := re.search(r'class="run"[^>]*data-status="(\w+)"', httpx.get(url).text)):
        assert time.monotonic() < deadline and process.poll() is None, "no run showed"
        time.sleep(1)
    return found.group(1)


def test_serve_answers_http_on_its_port(ran):
    from tests.conftest import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", "serve", "--port", str(port)],
        cwd=ran, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        answer = _answer(f"http://127.0.0.1:{port}/api/tables", server, 60)
        assert answer.status_code == 200
        assert "formatted.sales" in {table["table"] for table in answer.json()}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_demo_ends_serving_the_ui_and_ctrl_c_stops_it_cleanly(tmp_path):
    import signal

    from tests.conftest import free_port

    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "lakebox.cli", "demo", str(tmp_path / "demo"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        page = _answer(f"http://127.0.0.1:{port}/", demo, 240)
        assert page.status_code == 200 and "Overview" in page.text
        # the hourly pipeline never ran: the scheduler runs it at once, against the demo API
        hourly = _first_run(f"http://127.0.0.1:{port}/runs?pipeline=hourly", demo, 240)
        assert hourly == "ok"
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=60)
    finally:
        demo.kill()
    assert demo.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in out
    assert "Traceback" not in err
