"""Database sources against real PostgreSQL, MariaDB and SQLite: full and incremental pulls,
exact types, updates between runs, and clear errors without secrets."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from lakebox.errors import LandingError
from lakebox.landing.loader import land
from lakebox.orchestration.runner import ingest
from tests.conftest import free_port

START = datetime(2026, 1, 1, 8, 0, 0)


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


@pytest.fixture
def pg(postgres_url: str, request: pytest.FixtureRequest):
    """A fresh PostgreSQL schema for one test; yields (url, run SQL)."""
    schema = "t_" + request.node.name.lower().replace("[", "_").replace("]", "")[:50]
    connection = psycopg2.connect(_dsn(postgres_url))
    connection.autocommit = True

    def execute(sql: str, parameters: tuple | list | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, parameters)

    execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    execute(f"CREATE SCHEMA {schema}")
    execute(f"SET search_path TO {schema}")
    yield postgres_url, schema, execute
    execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    connection.close()


def _orders(execute, schema: str, count: int, first: int = 1) -> None:
    execute(
        f"CREATE TABLE IF NOT EXISTS {schema}.orders (id bigint PRIMARY KEY, customer text, "
        "amount numeric(10,2), qty integer, updated_at timestamp)"
    )
    for number in range(first, first + count):
        execute(
            f"INSERT INTO {schema}.orders VALUES (%s, %s, %s, %s, %s)",
            (number, f"c{number % 5}", Decimal(number) / 4, number % 3, _at(number)),
        )


def _at(number: int) -> datetime:
    return START + timedelta(minutes=number)


def _rows(lh, table: str = "formatted.orders", columns: str = "id, amount, updated_at") -> list:
    return lh.query(f"SELECT {columns} FROM {table} ORDER BY id").to_pylist()


def test_a_full_pull_keeps_exact_types_and_replaces_the_table(make_project, pg):
    url, schema, execute = pg
    _orders(execute, schema, 5)
    lh = make_project(
        {"orders": {"kind": "postgres", "url": url, "table": f"{schema}.orders", "key": ["id"]}}
    )
    report = ingest(lh)
    assert report.ok, report
    types = {
        row["column_name"]: row["column_type"]
        for row in lh.query("DESCRIBE formatted.orders").to_pylist()
    }
    assert types["id"] == "BIGINT"
    assert types["amount"] == "DECIMAL(10,2)"
    assert types["qty"] == "INTEGER"
    # a time without a zone is read in the source's zone (UTC here) and kept as UTC
    assert types["updated_at"] == "TIMESTAMP WITH TIME ZONE"
    expected = {"id": 2, "amount": Decimal("0.50"), "updated_at": _at(2).replace(tzinfo=UTC)}
    assert _rows(lh)[1] == expected

    execute(f"DELETE FROM {schema}.orders WHERE id = 1")
    execute(f"UPDATE {schema}.orders SET amount = 99.99 WHERE id = 2")
    assert ingest(lh).ok
    rows = _rows(lh)
    assert [row["id"] for row in rows] == [2, 3, 4, 5]
    assert rows[0]["amount"] == Decimal("99.99")


def test_an_unchanged_full_pull_is_a_repeat_not_a_new_batch(make_project, pg):
    url, schema, execute = pg
    _orders(execute, schema, 3)
    lh = make_project({"orders": {"kind": "postgres", "url": url, "table": f"{schema}.orders"}})
    assert ingest(lh).ok
    again = ingest(lh)
    assert [len(item.landed) for item in again.landing] == [0]
    assert [len(item.duplicates) for item in again.landing] == [1]
    assert len(_rows(lh)) == 3


def test_incremental_pulls_take_inserts_and_updates_once(make_project, pg):
    url, schema, execute = pg
    _orders(execute, schema, 10)
    source = {
        "kind": "postgres",
        "url": url,
        "table": f"{schema}.orders",
        "key": ["id"],
        "incremental": {"cursor": "updated_at", "lookback": "1m"},
    }
    lh = make_project({"orders": source})
    assert ingest(lh).ok
    _orders(execute, schema, 5, first=11)
    execute(f"UPDATE {schema}.orders SET amount = 1000, updated_at = %s WHERE id = 3", (_at(100),))
    second = ingest(lh)
    assert second.ok
    [entry] = second.landing[0].landed
    # the pull asked only past the committed cursor (minus the one-minute lookback)
    assert entry.original_path.endswith(f"#{schema}.orders?updated_at>{_at(9).isoformat()}")
    assert second.formatting[-1].counts.rows_read == 7  # id 10 (lookback), 11-15, 3
    rows = _rows(lh)
    assert [row["id"] for row in rows] == list(range(1, 16))
    assert rows[2]["amount"] == Decimal("1000.00")
    assert lh.query("SELECT count(*) AS n FROM formatted.orders").to_pylist() == [{"n": 15}]

    # nothing changed: the lookback window re-reads the newest row (id 3) only, and the
    # same bytes again are a repeat, not a new batch
    third = ingest(lh)
    assert third.formatting[-1].counts.rows_read == 1
    fourth = ingest(lh)
    assert fourth.landing[0].landed == [] and len(fourth.landing[0].duplicates) == 1
    assert lh.query("SELECT count(*) AS n FROM formatted.orders").to_pylist() == [{"n": 15}]


def test_an_incremental_pull_with_nothing_new_lands_nothing(make_project, pg):
    url, schema, execute = pg
    _orders(execute, schema, 4)
    source = {
        "kind": "postgres",
        "url": url,
        "table": f"{schema}.orders",
        "incremental": {"cursor": "id"},
    }
    lh = make_project({"orders": source})
    assert ingest(lh).ok
    report = land(lh, "orders")
    assert report.landed == [] and report.unchanged == 1
    _orders(execute, schema, 2, first=5)
    assert ingest(lh).ok
    assert [row["id"] for row in _rows(lh)] == [1, 2, 3, 4, 5, 6]
    manifest = lh.query("SELECT cursor FROM landing.manifest ORDER BY received_at").to_pylist()
    assert [row["cursor"] for row in manifest] == [
        '{"field": "id", "value": "4", "type": "integer"}',
        '{"field": "id", "value": "6", "type": "integer"}',
    ]


def test_a_query_source_filters_on_the_server(make_project, pg):
    url, schema, execute = pg
    _orders(execute, schema, 6)
    query = f"SELECT id, amount * 2 AS doubled, updated_at FROM {schema}.orders WHERE qty > 0"
    source = {
        "kind": "postgres",
        "url": url,
        "query": query,
        "incremental": {"cursor": "updated_at", "initial": _at(2).isoformat()},
    }
    lh = make_project({"orders": source})
    assert ingest(lh).ok
    assert [row["id"] for row in _rows(lh, columns="id")] == [4, 5]  # > id 2, qty > 0


def test_a_server_that_is_down_is_retried_then_named_in_a_clear_error(make_project):
    url = f"postgresql://reader:s3cr3t-pw@127.0.0.1:{free_port()}/shop"
    source = {"kind": "postgres", "url": url, "table": "orders", "retries": 2, "backoff": 0.05}
    lh = make_project({"orders": source})
    with pytest.raises(LandingError) as raised:
        land(lh, "orders")
    message = str(raised.value)
    assert message.startswith("source orders: cannot read postgresql://reader@127.0.0.1:")
    assert "gave up after 3 attempts" in message
    assert "s3cr3t-pw" not in message
    report = ingest(lh)
    assert not report.ok and "source orders" in (report.landing[0].error or "")


def test_an_unknown_table_fails_at_once_with_its_name(make_project, pg):
    url, schema, _ = pg
    source = {"kind": "postgres", "url": url, "table": f"{schema}.missing", "retries": 5}
    lh = make_project({"orders": source})
    with pytest.raises(LandingError, match="missing") as raised:
        land(lh, "orders")
    assert "gave up" not in str(raised.value)


# ---- MariaDB ---------------------------------------------------------------------------


@pytest.fixture
def maria(mysql_url: str, request: pytest.FixtureRequest):
    """A fresh MariaDB database for one test; yields (url of it, run SQL)."""
    engine_url = sa.engine.make_url(mysql_url)
    database = "t_" + request.node.name.lower()[:50]
    root = engine_url.set(database="mysql")
    import duckdb
    from duckdb_extensions import import_extension

    connection = duckdb.connect(config={"extension_directory": str(Path.home() / ".lbx-ext")})
    import_extension("mysql", con=connection)
    connection.execute("LOAD mysql")
    connection.execute(
        f"ATTACH '{root.render_as_string(hide_password=False)}' AS admin (TYPE mysql)"
    )

    def execute(sql: str) -> None:
        connection.execute("CALL mysql_execute('admin', ?)", [sql])

    execute(f"DROP DATABASE IF EXISTS {database}")
    execute(f"CREATE DATABASE {database}")
    yield engine_url.set(database=database).render_as_string(hide_password=False), database, execute
    execute(f"DROP DATABASE IF EXISTS {database}")
    connection.close()


def test_mariadb_incremental_pulls_with_inserts_and_updates(make_project, maria):
    url, database, execute = maria
    execute(
        f"CREATE TABLE {database}.readings (id int PRIMARY KEY, sensor varchar(20), "
        "value decimal(8,3), updated_at datetime(6))"
    )
    values = ", ".join(f"({i}, 's{i % 2}', {i}.125, '{_at(i)}')" for i in range(1, 21))
    execute(f"INSERT INTO {database}.readings VALUES {values}")
    source = {
        "kind": "mysql",
        "url": url,
        "table": "readings",
        "key": ["id"],
        "incremental": {"cursor": "updated_at"},
    }
    lh = make_project({"readings": source})
    assert ingest(lh).ok
    execute(f"INSERT INTO {database}.readings VALUES (21, 's1', 0.5, '{_at(50)}')")
    execute(f"UPDATE {database}.readings SET value = 7.777, updated_at = '{_at(60)}' WHERE id = 4")
    report = ingest(lh)
    assert report.ok
    assert report.formatting[-1].counts.rows_read == 2
    rows = lh.query("SELECT id, value FROM formatted.readings ORDER BY id").to_pylist()
    assert len(rows) == 21
    assert rows[3] == {"id": 4, "value": Decimal("7.777")}


def test_mariadb_wrong_password_is_a_clear_error_naming_the_source(make_project, maria):
    url, _, _ = maria
    wrong = sa.engine.make_url(url).set(password="not-the-password")
    source = {
        "kind": "mysql",
        "url": wrong.render_as_string(hide_password=False),
        "table": "readings",
        "retries": 3,
    }
    lh = make_project({"readings": source})
    with pytest.raises(LandingError) as raised:
        land(lh, "readings")
    message = str(raised.value)
    assert message.startswith("source readings: cannot read mysql://root@127.0.0.1:")
    assert "Access denied" in message
    assert "not-the-password" not in message
    assert "gave up" not in message  # a wrong password is not worth retrying


# ---- SQLite and the generic SQLAlchemy kind ----------------------------------------------


def _sqlite(path: Path, count: int, first: int = 1) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, name TEXT, score REAL)"
        )
        connection.executemany(
            "INSERT INTO events VALUES (?, ?, ?)",
            [(i, f"e{i}", i / 2) for i in range(first, first + count)],
        )


@pytest.mark.parametrize("kind", ["sqlite", "sql"])
def test_sqlite_incremental_by_id(make_project, tmp_path: Path, kind: str):
    database = tmp_path / "app.db"
    _sqlite(database, 30)
    url = f"sqlite:///{database}"
    source = {"kind": kind, "url": url, "table": "events", "incremental": {"cursor": "id"}}
    if kind == "sql":
        source["batch_rows"] = 7  # several batches, merged into one landed file
    lh = make_project({"events": source})
    assert ingest(lh).ok
    _sqlite(database, 5, first=31)
    second = ingest(lh)
    assert second.ok
    assert second.formatting[-1].counts.rows_read == 5
    rows = lh.query("SELECT count(*) AS n, sum(id) AS s FROM formatted.events").to_pylist()
    assert rows == [{"n": 35, "s": sum(range(1, 36))}]


def test_sqlite_query_source(make_project, tmp_path: Path):
    database = tmp_path / "app.db"
    _sqlite(database, 10)
    source = {
        "kind": "sqlite",
        "url": f"sqlite:///{database}",
        "query": "SELECT id, upper(name) AS name FROM events WHERE id % 2 = 0",
    }
    lh = make_project({"events": source})
    assert ingest(lh).ok
    names = lh.query("SELECT name FROM formatted.events ORDER BY id").column(0).to_pylist()
    assert names == ["E2", "E4", "E6", "E8", "E10"]


@pytest.mark.slow
def test_a_table_bigger_than_the_memory_limit_is_pulled(make_project, pg):
    url, schema, execute = pg
    rows = 3_000_000
    execute(
        f"CREATE TABLE {schema}.events AS SELECT i AS id, md5(i::text) AS digest, "
        f"i * 0.5 AS score FROM generate_series(1, {rows}) AS i"
    )  # ~190 MB in DuckDB's memory, against a 100 MB engine
    lh = make_project(
        {"events": {"kind": "postgres", "url": url, "table": f"{schema}.events"}},
        engine={"memory_limit": "100MB", "threads": 2},
    )
    report = ingest(lh)
    assert report.ok, report
    found = lh.query(
        "SELECT count(*) AS n, count(DISTINCT digest) AS digests, max(id) AS top "
        "FROM formatted.events"
    ).to_pylist()
    assert found == [{"n": rows, "digests": rows, "top": rows}]


def test_the_sqlalchemy_kind_with_nothing_new_lands_nothing(make_project, tmp_path: Path):
    database = tmp_path / "app.db"
    _sqlite(database, 3)
    source = {"kind": "sql", "url": f"sqlite:///{database}", "table": "events"}
    source["incremental"] = {"cursor": "id"}
    lh = make_project({"events": source})
    assert ingest(lh).ok
    again = land(lh, "events")
    assert again.landed == [] and again.unchanged == 1


def test_the_sqlalchemy_kind_reads_postgresql_too(make_project, pg):
    url, schema, execute = pg
    _orders(execute, schema, 12)
    source = {
        "kind": "sql",
        "url": url,  # postgresql+psycopg2://…, through SQLAlchemy instead of DuckDB
        "table": f"{schema}.orders",
        "batch_rows": 5,
        "incremental": {"cursor": "updated_at"},
    }
    lh = make_project({"orders": source})
    assert ingest(lh).ok
    _orders(execute, schema, 3, first=13)
    second = ingest(lh)
    assert second.formatting[-1].counts.rows_read == 3
    assert [row["id"] for row in _rows(lh)] == list(range(1, 16))
    assert _rows(lh)[4]["amount"] == Decimal("1.25")


def test_database_text_is_kept_exactly_as_it_is(make_project, pg):
    url, schema, execute = pg
    execute(f"CREATE TABLE {schema}.countries (id int, code text, note text)")
    values = [(1, "NA", "  padded  "), (2, "-", ""), (3, None, "NULL"), (4, "N/A", "tab\t")]
    for row in values:
        execute(f"INSERT INTO {schema}.countries VALUES (%s, %s, %s)", row)
    lh = make_project(
        {"countries": {"kind": "postgres", "url": url, "table": f"{schema}.countries"}}
    )
    report = ingest(lh)
    assert report.ok and report.formatting[0].counts.rows_quarantined == 0
    rows = lh.query("SELECT id, code, note FROM formatted.countries ORDER BY id").to_pylist()
    assert [(row["id"], row["code"], row["note"]) for row in rows] == values
