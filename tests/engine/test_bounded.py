"""`DuckDBEngine.bounded`: within the block a statement that runs past the time is
interrupted and spilling past the scratch space fails; after it, the engine is as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakebox.config import EngineConfig
from lakebox.engine.duckdb import DuckDBEngine
from lakebox.errors import QueryError

FOREVER = "WITH RECURSIVE r(i) AS (SELECT 1 UNION SELECT i + 1 FROM r) SELECT count(*) FROM r"
# about 45 MB of rows sorted in 64 MiB of memory: it spills to the temp directory
SPILLING = "SELECT i, repeat('x', 40) AS s FROM range(1000000) t(i) ORDER BY hash(i)"


@pytest.fixture
def engine(tmp_path: Path):
    opened = DuckDBEngine(EngineConfig(memory_limit="64MiB", threads=2), tmp_path)
    yield opened
    opened.close()


def test_a_statement_past_the_time_is_interrupted(engine):
    with engine.bounded(0.5, 10**9) as bound, pytest.raises(QueryError, match="Interrupted"):
        engine.execute(FOREVER).fetchone()
    assert bound.expired
    assert engine.execute("SELECT 1").fetchone() == (1,)  # nothing interrupts it now


def test_spilling_past_the_scratch_space_fails_then_is_allowed_again(engine, tmp_path):
    target = tmp_path / "out.parquet"
    with engine.bounded(60, 2 * 10**6) as bound, pytest.raises(QueryError) as caught:
        engine.copy_to_parquet(SPILLING, target)
    assert "max_temp_directory_size" in caught.value.message and not bound.expired
    engine.copy_to_parquet(SPILLING, target)
    assert engine.execute(f"SELECT count(*) FROM '{target}'").fetchone() == (1_000_000,)


def test_a_quick_statement_is_not_interrupted(engine):
    with engine.bounded(60, 10**9) as bound:
        assert engine.execute("SELECT 42").fetchone() == (42,)
    assert not bound.expired
