"""SQLAlchemy's postgresql dialect (psycopg 3 and psycopg2, as Superset uses) inspects and
queries the endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

ZONES = ["analytics", "exploitation", "formatted", "landing", "ops", "quarantine"]


@pytest.fixture(params=["psycopg", "psycopg2"])
def engine(request, server):
    engine = create_engine(f"postgresql+{request.param}://tester@127.0.0.1:{server.port}/lakebox")
    yield engine
    engine.dispose()


def test_schemas_tables_and_views(engine):
    inspector = inspect(engine)
    assert set(ZONES) <= set(inspector.get_schema_names())
    assert inspector.get_table_names("formatted") == ["sales"]
    assert inspector.get_table_names() == ["totals"]
    assert inspector.get_table_names("landing") == ["manifest"]
    assert inspector.get_view_names("formatted") == []


def test_columns_keys_and_indexes(engine):
    inspector = inspect(engine)
    columns = {c["name"]: c for c in inspector.get_columns("sales", "formatted")}
    assert str(columns["id"]["type"]) == "BIGINT"
    assert str(columns["_ingested_at"]["type"]) == "TIMESTAMP"
    assert columns["_ingested_at"]["type"].timezone is True
    assert columns["store"]["comment"] == "Store code."
    assert inspector.get_pk_constraint("sales", "formatted")["constrained_columns"] == []
    assert inspector.get_foreign_keys("sales", "formatted") == []
    assert inspector.get_indexes("sales", "formatted") == []
    assert inspector.get_unique_constraints("sales", "formatted") == []


def test_a_query_with_a_bound_parameter(engine):
    with engine.connect() as connection:
        connection.execute(text('SET search_path = "formatted"'))
        count = connection.execute(
            text("SELECT count(*) FROM sales WHERE store = :store"), {"store": "BCN"}
        ).scalar()
    assert count == 2


def test_what_superset_asks_on_a_new_connection(server):
    """Superset (psycopg2) on every connection, then SQL Lab's statements."""
    engine = create_engine(f"postgresql+psycopg2://superset@127.0.0.1:{server.port}/lakebox")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
            connection.execute(text('set search_path = "formatted"'))
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() > 0
            rows = connection.execute(
                text("SELECT store, count(*) AS n FROM sales GROUP BY store\nLIMIT 1001")
            ).all()
        assert sorted(rows) == [("BCN", 2), ("LYS", 1)]
        assert engine.dialect.server_version_info[:2] == (15, 0)
        assert engine.dialect.default_schema_name == "exploitation"
    finally:
        engine.dispose()


def test_results_stream_through_a_server_side_cursor(engine):
    with engine.connect() as connection:
        streamed = connection.execution_options(stream_results=True, yield_per=2).execute(
            text("SELECT * FROM range(5)")
        )
        assert [row[0] for row in streamed] == [0, 1, 2, 3, 4]
