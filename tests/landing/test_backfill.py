"""Backfilling a window of an incremental source against real servers (PostgreSQL, MariaDB,
SQLite, the demo's sensor API on uvicorn): only the window is pulled, the saved state does not
move, the next normal pull carries on from it, a re-backfill merges by key, and clear errors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from lakebox.catalog.manifest import Status
from lakebox.demo.api import SensorService
from lakebox.demo.generators import sensors
from lakebox.errors import ConfigError
from lakebox.formatted.formatter import format_pending
from lakebox.lakehouse import Lakehouse
from lakebox.landing import state
from lakebox.landing.backfill import backfill
from lakebox.orchestration.runner import ingest

START = datetime(2026, 1, 1, 8, 0, 0)
SENSORS = sum(store.sensors for store in sensors.STORES)
Execute = Callable[..., None]


def _at(number: int) -> datetime:
    return START + timedelta(minutes=number)


def _ids(lh: Lakehouse, table: str = "formatted.orders") -> list[int]:
    return lh.query(f"SELECT id FROM {table} ORDER BY id").column(0).to_pylist()


def _backfill_and_format(lh: Lakehouse, name: str, start: str, end: str):
    report = backfill(lh, name, start, end)
    assert report.error is None
    return report, format_pending(lh, name)


# -- PostgreSQL: a table, filtered on the server ------------------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[str, str, Execute]]:
    """A fresh PostgreSQL schema; yields (url, schema, run SQL)."""
    schema = "t_backfill"
    connection = psycopg2.connect(postgres_url.replace("postgresql+psycopg2://", "postgresql://"))
    connection.autocommit = True

    def execute(sql: str, parameters: tuple | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, parameters)

    execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    execute(f"CREATE SCHEMA {schema}")
    execute(
        f"CREATE TABLE {schema}.orders (id bigint PRIMARY KEY, amount numeric(10,2), "
        "updated_at timestamp)"
    )
    yield postgres_url, schema, execute
    execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    connection.close()


def _insert(execute: Execute, schema: str, numbers: range) -> None:
    for number in numbers:
        execute(
            f"INSERT INTO {schema}.orders VALUES (%s, %s, %s)",
            (number, Decimal(number), _at(number)),
        )


def test_a_postgres_backfill_pulls_its_window_and_leaves_the_state(make_project, pg):
    url, schema, execute = pg
    _insert(execute, schema, range(1, 21))
    incremental = {"cursor": "updated_at", "initial": _at(10).isoformat()}
    source = {"kind": "postgres", "url": url, "table": f"{schema}.orders", "key": ["id"]}
    lh = make_project({"orders": {**source, "incremental": incremental}})
    assert ingest(lh).ok
    assert _ids(lh) == list(range(11, 21))
    saved = state.committed(lh, "orders")

    report, [result] = _backfill_and_format(lh, "orders", _at(3).isoformat(), _at(7).isoformat())

    [entry] = report.landed
    # [start, end): the row at the start is in, the row at the end is not
    assert result.counts.rows_read == 4 and result.status == Status.FORMATTED
    assert _ids(lh) == [3, 4, 5, 6, *range(11, 21)]
    assert entry.original_path.endswith(
        f"?updated_at>={_at(3).isoformat()}&updated_at<{_at(7).isoformat()}"
    )
    window = json.loads(lh.manifest.entries("orders")[-1].backfill or "{}")
    assert window == {
        "field": "updated_at",
        "from": _at(3).isoformat(),
        "to": _at(7).isoformat(),
        "type": "timestamp",
    }
    assert entry.cursor is None
    assert state.committed(lh, "orders") == saved

    # the next normal pull carries on from the saved state, not from the window
    _insert(execute, schema, range(21, 23))
    later = ingest(lh)
    [pulled] = later.landing[0].landed
    assert pulled.original_path.endswith(f"?updated_at>{_at(20).isoformat()}")
    assert later.formatting[-1].counts.rows_read == 2
    assert _ids(lh) == [3, 4, 5, 6, *range(11, 23)]


def test_backfilling_a_window_again_merges_by_key(make_project, pg):
    url, schema, execute = pg
    _insert(execute, schema, range(1, 11))
    source = {"kind": "postgres", "url": url, "table": f"{schema}.orders", "key": ["id"]}
    lh = make_project({"orders": {**source, "incremental": {"cursor": "updated_at"}}})
    assert ingest(lh).ok
    saved = state.committed(lh, "orders")
    execute(f"UPDATE {schema}.orders SET amount = 999 WHERE id = 4")

    for _ in range(2):  # the second time the same bytes are a repeat, not a new batch
        _backfill_and_format(lh, "orders", _at(2).isoformat(), _at(6).isoformat())

    rows = lh.query("SELECT id, amount FROM formatted.orders ORDER BY id").to_pylist()
    assert [row["id"] for row in rows] == list(range(1, 11))
    assert rows[3]["amount"] == Decimal("999.00")
    assert state.committed(lh, "orders") == saved
    assert [entry.status for entry in lh.manifest.entries("orders")][-2:] == [
        Status.FORMATTED,
        Status.DUPLICATE,
    ]


def test_a_date_bound_means_its_midnight_for_a_timestamp_cursor(make_project, pg):
    url, schema, execute = pg
    _insert(execute, schema, range(1, 4))
    execute(f"INSERT INTO {schema}.orders VALUES (99, 1, '2025-12-31 23:59:59')")
    source = {"kind": "postgres", "url": url, "table": f"{schema}.orders", "key": ["id"]}
    incremental = {"cursor": "updated_at", "initial": "2026-06-01T00:00:00"}
    lh = make_project({"orders": {**source, "incremental": incremental}})

    _backfill_and_format(lh, "orders", "2026-01-01", "2026-01-02")

    assert _ids(lh) == [1, 2, 3]


# -- MariaDB and SQLite: queries, filtered as the rows stream in ------------------------------


@pytest.fixture
def maria(mysql_url: str) -> Iterator[tuple[str, Execute]]:
    """A fresh MariaDB database `backfill_test`; yields (its url, run SQL through DuckDB)."""
    import duckdb
    from duckdb_extensions import import_extension

    engine_url = sa.engine.make_url(mysql_url)
    root = engine_url.set(database="mysql").render_as_string(hide_password=False)
    connection = duckdb.connect(config={"extension_directory": str(Path.home() / ".lbx-ext")})
    import_extension("mysql", con=connection)
    connection.execute("LOAD mysql")
    connection.execute(f"ATTACH '{root}' AS admin (TYPE mysql)")

    def execute(sql: str) -> None:
        connection.execute("CALL mysql_execute('admin', ?)", [sql])

    execute("DROP DATABASE IF EXISTS backfill_test")
    execute("CREATE DATABASE backfill_test")
    yield engine_url.set(database="backfill_test").render_as_string(hide_password=False), execute
    execute("DROP DATABASE IF EXISTS backfill_test")
    connection.close()


def test_a_mariadb_query_source_is_backfilled_with_bound_parameters(make_project, maria):
    url, execute = maria
    execute("CREATE TABLE backfill_test.events (id INT PRIMARY KEY, name VARCHAR(20))")
    values = ", ".join(f"({number}, 'it''s {number}')" for number in range(1, 11))
    execute(f"INSERT INTO backfill_test.events VALUES {values}")
    query = "SELECT id, name FROM backfill_test.events"
    source = {"kind": "mysql", "url": url, "query": query, "key": ["id"]}
    lh = make_project({"events": {**source, "incremental": {"cursor": "id", "initial": "8"}}})
    assert ingest(lh).ok

    _backfill_and_format(lh, "events", "2", "5")

    assert _ids(lh, "formatted.events") == [2, 3, 4, 9, 10]
    assert state.committed(lh, "events") == state.Cursor("id", "10", "integer")


@pytest.mark.parametrize("shape", ["table", "query"])
def test_a_sqlite_source_is_backfilled(make_project, tmp_path: Path, shape: str):
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany(
            "INSERT INTO events VALUES (?, ?)", [(n, f"e{n}") for n in range(1, 11)]
        )
    what = {"table": "events"} if shape == "table" else {"query": "SELECT * FROM events"}
    incremental = {"cursor": "id", "initial": "7"}
    source = {"kind": "sqlite", "url": f"sqlite:///{database}", **what, "key": ["id"]}
    lh = make_project({"events": {**source, "incremental": incremental}})
    assert ingest(lh).ok

    _backfill_and_format(lh, "events", "1", "3")

    assert _ids(lh, "formatted.events") == [1, 2, 8, 9, 10]
    assert state.committed(lh, "events") == state.Cursor("id", "10", "integer")


# -- HTTP: the demo's sensor API, told both ends of the window --------------------------------


@pytest.fixture
def sensor_api() -> Iterator[SensorService]:
    with SensorService(now=datetime(2025, 6, 30, 12, 0, tzinfo=UTC)) as service:
        yield service


def _counts_source(url: str, **incremental: str) -> dict:
    return {
        "kind": "http",
        "url": f"{url}/v1/counts",
        "records": "data",
        "pagination": {"type": "page", "size_param": "page_size", "size": 1000},
        "incremental": {"cursor": "hour", "param": "since", **incremental},
        "key": ["sensor", "hour"],
    }


def _hours(lh: Lakehouse, batch_id: str) -> list[datetime]:
    sql = f"SELECT DISTINCT hour FROM formatted.counts WHERE _batch_id = '{batch_id}' ORDER BY 1"
    return [moment.astimezone(UTC) for moment in lh.query(sql).column(0).to_pylist()]


def test_an_http_backfill_sends_both_ends_and_leaves_the_state(make_project, sensor_api):
    source = _counts_source(sensor_api.url, end_param="until", initial="2025-06-30T09:00:00Z")
    lh = make_project({"counts": source})
    assert ingest(lh).ok  # hours 10:00 and 11:00 UTC
    saved = state.committed(lh, "counts")

    report, [result] = _backfill_and_format(
        lh, "counts", "2025-06-29T00:00:00Z", "2025-06-29T03:00:00Z"
    )

    [entry] = report.landed
    assert "since=2025-06-29T00:00:00Z&until=2025-06-29T03:00:00Z" in entry.original_path
    # the demo API's own bounds are exclusive at both ends: since < hour < until
    assert _hours(lh, entry.batch_id) == [datetime(2025, 6, 29, h, tzinfo=UTC) for h in (1, 2)]
    assert result.counts.rows_formatted == 2 * SENSORS
    assert state.committed(lh, "counts") == saved

    sensor_api.now = datetime(2025, 6, 30, 14, 0, tzinfo=UTC)
    later = ingest(lh)
    assert later.formatting[-1].counts.rows_read == 2 * SENSORS  # 12:00 and 13:00 only
    total = lh.query("SELECT count(*) FROM formatted.counts").column(0).to_pylist()
    assert total == [6 * SENSORS]

    again = backfill(lh, "counts", "2025-06-29T00:00:00Z", "2025-06-29T03:00:00Z")
    assert again.landed == [] and len(again.duplicates) == 1


def test_an_http_source_without_end_param_is_refused(make_project, sensor_api):
    lh = make_project({"counts": _counts_source(sensor_api.url)})
    with pytest.raises(ConfigError, match=r"no 'incremental\.end_param'") as raised:
        backfill(lh, "counts", "2025-06-29T00:00:00Z", "2025-06-29T03:00:00Z")
    assert "never fetches up to now" in str(raised.value)
    assert lh.manifest.entries("counts") == []


# -- errors ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_lakehouse(make_project, tmp_path: Path) -> Lakehouse:
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT)")
        connection.execute("INSERT INTO events VALUES (1, '2026-01-01T00:00:00')")
    url = f"sqlite:///{database}"
    return make_project(
        {
            "events": {
                "kind": "sqlite",
                "url": url,
                "table": "events",
                "incremental": {"cursor": "at", "initial": "2026-01-01T00:00:00"},
            },
            "full": {"kind": "sqlite", "url": url, "table": "events"},
            "files": {"kind": "files", "path": "exports/*.csv"},
        }
    )


@pytest.mark.parametrize(
    ("name", "start", "end", "message"),
    [
        ("full", "1", "2", "source 'full' is not incremental"),
        ("files", "1", "2", "source 'files' is a files source"),
        ("nope", "1", "2", "no source named 'nope'"),
        ("events", "2026-02-01", "2026-01-01", "start 2026-02-01T00:00:00 is not before its end"),
        ("events", "2026-01-01", "2026-01-01", "is not before its end"),
        ("events", "soon", "2026-01-01", "'soon' is text, but the cursor 'at' holds a timestamp"),
        ("events", " ", "2026-01-01", "the backfill's start is empty"),
        ("events", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00", "cannot be compared"),
    ],
)
def test_clear_errors(sqlite_lakehouse: Lakehouse, name, start, end, message):
    with pytest.raises(ConfigError, match=message):
        backfill(sqlite_lakehouse, name, start, end)
    assert sqlite_lakehouse.manifest.entries() == []


def test_an_integer_cursor_written_like_a_date_is_an_integer(make_project, tmp_path: Path):
    database = tmp_path / "days.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE days (day_key INTEGER PRIMARY KEY, n INTEGER)")
        connection.executemany(
            "INSERT INTO days VALUES (?, ?)", [(20260100 + d, d) for d in range(1, 9)]
        )
    source = {"kind": "sqlite", "url": f"sqlite:///{database}", "table": "days",
              "key": ["day_key"], "incremental": {"cursor": "day_key"}}  # fmt: skip
    lh = make_project({"days": source})
    report = backfill(lh, "days", "20260102", "20260105")
    assert report.error is None and len(report.landed) == 1
    format_pending(lh, "days")
    keys = lh.query("SELECT day_key FROM formatted.days ORDER BY 1").column(0).to_pylist()
    assert keys == [20260102, 20260103, 20260104]


def test_a_refused_backfill_is_not_a_run(sqlite_lakehouse: Lakehouse):
    from lakebox.orchestration import history
    from lakebox.orchestration.runner import backfill as backfill_run

    with pytest.raises(ConfigError, match="is not before its end"):
        backfill_run(sqlite_lakehouse, "events", "2026-02-01", "2026-01-01")
    assert history.recent(sqlite_lakehouse) == []


def test_a_backfill_waits_for_every_pipeline_collecting_its_source(make_project, tmp_path):
    from lakebox.errors import RunLocked
    from lakebox.orchestration.lock import PipelineLock
    from lakebox.orchestration.runner import backfill as backfill_run

    database = tmp_path / "app.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT)")
    source = {"kind": "sqlite", "url": f"sqlite:///{database}", "table": "events",
              "incremental": {"cursor": "id", "initial": "0"}}  # fmt: skip
    pipelines = {"hourly": {"steps": [{"collect": "events"}]}}
    lh = make_project({"events": source}, pipelines=pipelines)
    with PipelineLock(lh, "hourly"), pytest.raises(RunLocked, match="'hourly'"):
        backfill_run(lh, "events", "1", "5")
    assert lh.manifest.entries() == []
