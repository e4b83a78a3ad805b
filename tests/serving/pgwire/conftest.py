"""A real lakehouse served by a real PgServer, shared by the module's tests (read-only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import lakebox
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.runner import run
from lakebox.serving.pgwire import PgServer
from tests.conftest import free_port, write_file

SALES = "id,store,amount,day\n1,BCN,10.5,2024-01-02\n2,LYS,20,2024-01-03\n3,BCN,4,2024-01-04\n"
ROW_LIMIT = 1000
TIMEOUT = 3.0
TOKEN = "s3cret-token"


def _lakehouse(folder: Path) -> Lakehouse:
    folder.mkdir(parents=True)
    document = {
        "name": "pgtest",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {
            "sales": {
                "path": "in/*.csv",
                "columns": {"store": {"description": "Store code."}},
            }
        },
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    lh = lakebox.open(folder)
    write_file(folder / "in", "a.csv", SALES)
    write_file(
        folder / "models",
        "totals.sql",
        "SELECT store, sum(amount) AS amount FROM formatted.sales GROUP BY store",
    )
    assert run(lh).ok
    return lh


@pytest.fixture(scope="session")
def lh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    lh = _lakehouse(tmp_path_factory.mktemp("pg") / "project")
    yield lh
    lh.close()


@pytest.fixture(scope="session")
def server(lh: Lakehouse) -> Iterator[PgServer]:
    with PgServer(lh, port=0, row_limit=ROW_LIMIT, timeout=TIMEOUT) as running:
        yield running


@pytest.fixture(scope="session")
def guarded(lh: Lakehouse) -> Iterator[PgServer]:
    """The same lakehouse behind a password (the token)."""
    with PgServer(lh, port=free_port(), token=TOKEN, timeout=TIMEOUT) as running:
        yield running


@pytest.fixture
def dsn(server: PgServer) -> str:
    return f"host=127.0.0.1 port={server.port} user=tester dbname=lakebox"


@pytest.fixture
def url(server: PgServer) -> str:
    return f"postgresql://tester@127.0.0.1:{server.port}/lakebox"
