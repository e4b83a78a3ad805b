"""Users' queries run on connections of their own, side by side up to the configured
concurrency, with a bounded wait beyond it and results capped in bytes as well as rows, on
HTTP and pg-wire alike."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from fastapi.testclient import TestClient

from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from lakebox.serving.pgwire import PgServer
from lakebox.serving.queries import QueryService
from tests.conftest import write_file

SLOW = "SELECT count(*) FROM range(100000000000) a"
# one row of 3 MB (one call may generate at most readonly.MAX_GENERATED characters)
HUGE_ROW = "SELECT string_agg(repeat('x', 100000), '') AS s FROM range(30)"


@pytest.fixture
def lh(make_project):
    lh = make_project(
        {"sales": {"path": "in/*.csv"}},
        serve={
            "max_concurrent_queries": 3,
            "max_queued_queries": 0,
            "queue_timeout": "1s",
            "max_result_bytes": "1MB",
        },
    )
    write_file(lh.project_dir / "in", "a.csv", "id,store\n1,BCN\n2,LYS\n")
    assert run(lh).ok
    return lh


@pytest.fixture
def pg(lh):
    with PgServer(lh, port=0, timeout=60) as server:
        yield f"host=127.0.0.1 port={server.port} user=tester dbname=lakebox"


@pytest.fixture
def client(lh):
    return TestClient(create_app(lh, timeout=60), base_url="http://127.0.0.1")


class Slow:
    """A slow query on its own pg connection, running until cancelled."""

    def __init__(self, dsn: str) -> None:
        self.connection = psycopg.connect(dsn, autocommit=True)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.connection.execute(SLOW).fetchall()
        except psycopg.Error as error:
            self.error = error

    def stop(self) -> None:
        self.connection.cancel_safe()
        self.thread.join(timeout=60)
        self.connection.close()


def _running(service: QueryService, count: int) -> None:
    deadline = time.monotonic() + 60
    while service.slots.running < count:
        assert time.monotonic() < deadline, "the slow queries did not start"
        time.sleep(0.05)


def test_a_quick_query_answers_while_slow_ones_run_and_a_full_server_says_busy(lh, pg, client):
    service = QueryService(lh)
    slow = [Slow(pg), Slow(pg)]
    try:
        _running(service, 2)
        quick = client.post("/api/sql", json={"sql": "SELECT 1 AS one"})
        assert quick.status_code == 200 and quick.json()["rows"] == [{"one": 1}]
        assert all(each.thread.is_alive() for each in slow)  # still running meanwhile
        table = client.get("/api/tables/formatted/sales")  # lakebox's own reads go on too
        assert table.status_code == 200
        slow.append(Slow(pg))
        _running(service, 3)
        busy = client.post("/api/sql", json={"sql": "SELECT 1 AS one"})
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert busy.json()["error"].startswith("the server is busy")
        with (
            psycopg.connect(pg, autocommit=True) as connection,
            pytest.raises(psycopg.errors.TooManyConnections, match="server is busy"),
        ):
            connection.execute("SELECT 1")
        assert all(each.thread.is_alive() for each in slow)
    finally:
        for each in slow:
            each.stop()
    assert all(isinstance(each.error, psycopg.errors.QueryCanceled) for each in slow)
    again = client.post("/api/sql", json={"sql": "SELECT 2 AS two"})
    assert again.status_code == 200  # the slots came back


def test_a_waiting_query_runs_when_a_slot_frees(lh, pg):
    service = QueryService(lh)
    service.slots.queued = 1
    slow = [Slow(pg) for _ in range(3)]
    answers: list[object] = []
    try:
        _running(service, 3)
        service.slots.wait = 60
        waiting = threading.Thread(
            target=lambda: answers.append(service.run("SELECT 42 AS n").table.to_pylist())
        )
        waiting.start()
        deadline = time.monotonic() + 60
        while service.slots.waiting < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert answers == []  # it waits for a slot
        slow.pop().stop()
        waiting.join(timeout=60)
        assert answers == [[{"n": 42}]]
    finally:
        for each in slow:
            each.stop()


def test_a_result_is_capped_in_bytes_on_http(client):
    wide = "SELECT i, repeat('x', 1000) AS s FROM range(5000) t(i)"
    body = client.post("/api/sql", json={"sql": wide}).json()
    assert body["truncated"] is True
    assert 0 < body["row_count"] < 1000
    assert "result size limit of 1 MB" in body["notice"]
    huge = client.post("/api/sql", json={"sql": HUGE_ROW})
    assert huge.status_code == 400
    assert "first row alone is larger than the result size limit (1 MB)" in huge.json()["error"]
    assert "serve.max_result_bytes" in huge.json()["hint"]


def test_a_result_is_capped_in_bytes_on_pg(pg):
    notices: list[str] = []
    with psycopg.connect(pg, autocommit=True) as connection:
        connection.add_notice_handler(lambda notice: notices.append(notice.message_primary))
        rows = connection.execute("SELECT i, repeat('x', 1000) FROM range(5000) t(i)").fetchall()
        assert 0 < len(rows) < 1000
        assert any("result size limit of 1 MB" in notice for notice in notices)
        with pytest.raises(psycopg.Error, match="first row alone is larger"):
            connection.execute(HUGE_ROW).fetchall()
        assert connection.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("sql", ["SELECT 1 AS n -- a note", "SELECT 1 AS n /* a note */ -- more"])
def test_a_trailing_comment_does_not_break_an_http_query(lh, sql):
    client = TestClient(create_app(lh, timeout=60), base_url="http://127.0.0.1")
    answer = client.post("/api/sql", json={"sql": sql})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == [{"n": 1}]


def test_a_call_generating_too_much_is_refused_on_http_and_pg(lh, pg):
    sql = "SELECT sum(length(lpad(range::VARCHAR, 100000000, 'y'))) FROM range(30)"
    client = TestClient(create_app(lh, timeout=60), base_url="http://127.0.0.1")
    answer = client.post("/api/sql", json={"sql": sql})
    assert answer.status_code == 400
    assert "lpad's length must be a number up to 100,000" in answer.json()["error"]
    with psycopg.connect(pg, autocommit=True) as connection:
        with pytest.raises(psycopg.Error, match="lpad's length must be a number up to 100,000"):
            connection.execute(sql).fetchall()
        assert connection.execute("SELECT lpad('7', 6, '0')").fetchone() == ("000007",)
