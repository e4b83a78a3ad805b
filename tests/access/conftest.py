"""Shared by the access tests: catalog databases (a SQLite file, and PostgreSQL — the server on
127.0.0.1:5432 when one answers, else the suite's throwaway one), a reader-like DuckDB with
tables in the zones, and principals under an access section written as YAML."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
import yaml

from lakebox.access.masks import register_hash
from lakebox.access.principal import Principal
from lakebox.access.relations import relations_in
from lakebox.access.secure import Relation
from lakebox.config.access import AccessConfig

LOCAL_POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
MASK_KEY = b"k" * 32
ZONES = ("landing", "formatted", "quarantine", "exploitation", "analytics", "ops")
TABLES = """
CREATE TABLE formatted.customers AS SELECT * FROM (VALUES
  (1, 'Ann Lee', 'ann@example.com', '+34 600 111 222', 'EU', DATE '1990-04-02'),
  (2, 'Bob', 'bob@example.com', NULL, 'US', DATE '1985-11-30'),
  (3, 'Cy', NULL, '12', 'EU', NULL)
) t(id, name, email, phone, region, birth_date);
CREATE TABLE formatted.sales AS SELECT * FROM (VALUES
  (1, 1, 10.0, 'EU'), (2, 2, 20.0, 'US'), (3, 3, 5.0, 'EU')
) t(id, customer_id, amount, region);
CREATE TABLE exploitation.daily AS SELECT * FROM (VALUES (DATE '2026-01-01', 35.0)) t(day, total);
CREATE TABLE ops.runs AS SELECT 'r1' AS run_id;
"""


def access(text: str) -> AccessConfig:
    """Return the access section written as YAML in `text`."""
    return AccessConfig.model_validate(yaml.safe_load(text) or {})


def principal(
    roles: tuple[str, ...] | str,
    section: AccessConfig | str = "",
    attributes: dict[str, str] | None = None,
    name: str = "someone",
) -> Principal:
    """Return a principal holding `roles` under `section` (an AccessConfig or its YAML)."""
    config = access(section) if isinstance(section, str) else section
    held = (roles,) if isinstance(roles, str) else roles
    return Principal(name, held, attributes or {}, config)


@pytest.fixture
def reader() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the zone schemas, a few tables and the hash mask function."""
    connection = duckdb.connect()
    for zone in ZONES:
        connection.execute(f"CREATE SCHEMA {zone}")
    connection.execute(TABLES)
    connection.execute("SET search_path = 'main,exploitation'")
    register_hash(connection, MASK_KEY)
    yield connection
    connection.close()


@pytest.fixture
def tables(reader: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Relation]:
    return relations_in(reader)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    yield engine
    engine.dispose()


def _answers(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture
def postgres_engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """A fresh database on the PostgreSQL server at 127.0.0.1:5432, or on the throwaway
    server of the `postgres_url` fixture when none answers there; dropped afterwards."""
    server = LOCAL_POSTGRES if _answers("127.0.0.1", 5432) else None
    server = server or request.getfixturevalue("postgres_url")
    database = f"lakebox_access_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {database}"))
    engine = sa.create_engine(sa.engine.make_url(server).set(database=database))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalog_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """The catalog database, once on SQLite and once on PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(name)
