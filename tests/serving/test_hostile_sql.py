"""An attacker's read-only SQL against a real `lakebox serve` process (HTTP and pg-wire):
functions off the allow-list are refused, the process survives them, no file is written
into the project, and every engine error comes back as a clear message."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from lakebox.orchestration.runner import run
from tests.conftest import free_port, write_file

SALES = "id,store,amount\n1,BCN,10.5\n2,LYS,20\n"


class Served:
    """A `lakebox serve --pg-port` process over a small project."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.port, self.pg_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lakebox.cli", "serve", "--port", str(self.port),
             "--pg-port", str(self.pg_port), "--no-scheduler", "--timeout", "20"],
            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        self.dsn = f"host=127.0.0.1 port={self.pg_port} user=tester dbname=lakebox"
        deadline = time.monotonic() + 90
        while not self.answers():
            assert time.monotonic() < deadline and self.process.poll() is None, "no server"
            time.sleep(0.3)

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/zones", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def sql(self, sql: str) -> httpx.Response:
        return httpx.post(f"{self.url}/api/sql", json={"sql": sql}, timeout=60)

    def pg_error(self, sql: str) -> psycopg.Error:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            with pytest.raises(psycopg.Error) as raised:
                connection.execute(sql).fetchall()
            assert connection.execute("SELECT 1").fetchone() == (1,)  # the session goes on
        return raised.value

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    import lakebox

    project = tmp_path_factory.mktemp("hostile") / "project"
    project.mkdir()
    (project / "lakebox.yaml").write_text(
        "name: hostile\nengine: {memory_limit: 1GB, threads: 2}\n"
        "sources:\n  door_counts: {path: 'exports/door_counts/*.csv'}\n"
    )
    write_file(project / "exports" / "door_counts", "a.csv", SALES)
    with lakebox.open(project) as lh:
        assert run(lh).ok
    server = Served(project)
    yield server
    server.stop()


def _columns(project: Path) -> list[str]:
    import lakebox

    with lakebox.open(project) as lh:
        return lh.query("SELECT * FROM formatted.door_counts LIMIT 0").column_names


def test_pandas_scan_is_refused_and_the_server_lives_on(served):
    answer = served.sql("SELECT * FROM pandas_scan(NULL)")
    assert answer.status_code == 400
    assert answer.json()["error"] == "function pandas_scan is not allowed in read-only SQL"
    assert "What SQL may call" in answer.json()["hint"]
    error = served.pg_error("SELECT * FROM pandas_scan(NULL)")
    assert "pandas_scan is not allowed" in str(error)
    assert served.process.poll() is None and served.answers()


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_psql_gets_the_refusal_and_the_server_lives_on(served):
    url = f"postgresql://tester@127.0.0.1:{served.pg_port}/lakebox"
    done = subprocess.run(
        ["psql", url, "-X", "-A", "-t", "-c", "SELECT * FROM pandas_scan(NULL)", "-c", "SELECT 7"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "function pandas_scan is not allowed in read-only SQL" in done.stderr
    assert done.stdout.strip() == "7"
    assert served.process.poll() is None and served.answers()


def test_enable_logging_cannot_write_into_a_source_folder(served):
    target = served.project / "exports" / "door_counts" / "x.csv"
    before = _columns(served.project)
    attack = f"SELECT * FROM enable_logging(storage='file', storage_path='{target}')"
    answer = served.sql(attack)
    assert answer.status_code == 400 and "enable_logging is not allowed" in answer.json()["error"]
    assert "enable_logging is not allowed" in str(served.pg_error(attack))
    assert served.sql("SELECT count(*) AS n FROM formatted.door_counts").json()["rows"] == [
        {"n": 2}
    ]
    assert not target.exists()
    assert list((served.project / "exports" / "door_counts").iterdir()) == [
        served.project / "exports" / "door_counts" / "a.csv"
    ]
    import lakebox

    with lakebox.open(served.project) as lh:  # the next ingest finds nothing new
        assert run(lh).ok
    assert _columns(served.project) == before


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/hosts'",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM query('SELECT 1')",
        "SELECT nextval('x')",
        "SELECT * FROM checkpoint()",
    ],
)
def test_other_state_and_file_functions_are_refused_on_both_surfaces(served, sql):
    answer = served.sql(sql)
    assert answer.status_code == 400, answer.text
    assert str(served.pg_error(sql)).startswith(answer.json()["error"])


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT 'infinity'::DATE AS d", None),
        ("SELECT NULL::VARIANT AS v", "cannot be sent"),
        ("SELECT '294247-01-10'::TIMESTAMP + INTERVAL 1 DAY AS t", "not in timestamp range"),
        ("SELECT make_timestamp(300000, 1, 1, 0, 0, 0) AS t", "not in timestamp range"),
        ("SELECT 'infinity'::TIMESTAMP AS t", None),
    ],
)
def test_engine_errors_and_odd_values_are_answered_clearly(served, sql, words):
    answer = served.sql(sql)
    if words is None:  # a value Python cannot hold comes as text
        assert answer.status_code == 200, answer.text
        assert list(answer.json()["rows"][0].values()) == ["infinity"]
        return
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"]
    assert words in str(served.pg_error(sql))
    assert served.answers()


def test_an_unknown_table_suggests_the_lakebox_tables_of_that_name(served):
    answer = served.sql("SELECT * FROM door_counts")
    assert answer.status_code == 400
    assert "did you mean formatted.door_counts or quarantine.door_counts?" in answer.json()["hint"]
    assert "pg_" not in answer.text
    with (
        psycopg.connect(served.dsn, autocommit=True) as connection,
        pytest.raises(psycopg.errors.UndefinedTable) as raised,
    ):
        connection.execute("SELECT * FROM door_counts")
    assert "formatted.door_counts" in (raised.value.diag.message_hint or "")
    assert "pg_" not in str(raised.value)
