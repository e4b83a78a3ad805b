"""Exactly once for pulled sources: a run killed with SIGKILL between extracting and
committing, then re-run, gets every row of a database table or an API exactly once, because
the cursor state is committed in the same Iceberg commit as the rows."""

from __future__ import annotations

import psycopg2
import pytest
import yaml

import lakebox
from lakebox.orchestration.runner import run
from tests.landing.sources.api_server import TOKEN, Api
from tests.orchestration.test_exactly_once import _crash

POINTS = ["pull-after-extract", "pull-before-commit", "pull-between-commits", "format-after-commit"]


def _project(tmp_path, source: dict):
    project = tmp_path / "project"
    project.mkdir()
    document = {"name": "pulls", "engine": {"memory_limit": "1GB", "threads": 2}}
    (project / "lakebox.yaml").write_text(yaml.safe_dump({**document, "sources": {"rows": source}}))
    return project


def _first_run(project, point: str) -> None:
    """Run once before the killed run; not before a kill between a pull's two commits: once
    the quarantine table exists, a pull with no row to quarantine makes one commit."""
    if point == "pull-between-commits":
        return
    with lakebox.open(project) as lh:
        assert run(lh).ok


def _assert_each_once(project, count: int) -> None:
    with lakebox.open(project) as lh:
        assert run(lh).ok
        rows = lh.query(
            "SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi "
            "FROM formatted.rows"
        ).to_pylist()
        assert rows == [{"n": count, "ids": count, "lo": 1, "hi": count}]
        stuck = lh.query(
            "SELECT count(*) AS n FROM landing.manifest WHERE status NOT IN ('formatted', "
            "'duplicate', 'superseded')"
        ).to_pylist()
        assert stuck == [{"n": 0}]


@pytest.fixture
def pg_table(postgres_url: str):
    dsn = postgres_url.replace("postgresql+psycopg2://", "postgresql://")
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute("DROP TABLE IF EXISTS crash_rows")
    cursor.execute("CREATE TABLE crash_rows (id bigint PRIMARY KEY, note text)")

    def insert(first: int, last: int) -> None:
        cursor.execute(
            "INSERT INTO crash_rows SELECT i, 'row ' || i FROM generate_series(%s, %s) AS i",
            (first, last),
        )

    yield postgres_url, insert
    cursor.execute("DROP TABLE IF EXISTS crash_rows")
    connection.close()


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_killed_database_pull_gets_every_row_once(tmp_path, pg_table, point):
    url, insert = pg_table
    # no key: a row read twice would show as a duplicate id
    source = {
        "kind": "postgres",
        "url": url,
        "table": "crash_rows",
        "incremental": {"cursor": "id"},
    }
    project = _project(tmp_path, source)
    insert(1, 1000)
    _first_run(project, point)
    insert(1001, 1500)
    _crash(project, point)
    insert(1501, 1600)
    _assert_each_once(project, 1600)


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_killed_api_pull_gets_every_record_once(tmp_path, point):
    with Api(count=120) as api:
        source = {
            "kind": "http",
            "url": f"{api.url}/page",
            "headers": {"Authorization": f"Bearer {TOKEN}"},
            "records": "data",
            "pagination": {"type": "page", "size_param": "per_page", "size": 25},
            "incremental": {"cursor": "updated_at", "param": "since"},
        }
        project = _project(tmp_path, source)
        _first_run(project, point)
        api.add(40)
        _crash(project, point)
        api.add(15)
        _assert_each_once(project, 175)
