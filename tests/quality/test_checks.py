"""Every check kind passes on good data and fails on bad data, compiled to SQL and run by the
lakehouse's DuckDB engine."""

from __future__ import annotations

import pytest

import lakebox
from lakebox.config import CheckConfig
from lakebox.quality.checks import ERROR, FAIL, PASS, WARN, check_name, run_check


@pytest.fixture(scope="module")
def lh(tmp_path_factory):
    project = tmp_path_factory.mktemp("checks")
    (project / "lakebox.yaml").write_text("name: checks\nengine: {memory_limit: 1GB}\n")
    lh = lakebox.open(project)
    lh.engine.execute(
        "CREATE TABLE main.visits AS SELECT * FROM (VALUES "
        "(1, 'BCN', DATE '2025-01-01', 10.5, 'a@x.es', NULL, now() - INTERVAL 1 HOUR), "
        "(2, 'BCN', DATE '2025-01-02', 20.0, 'b@x.es', 'late', now() - INTERVAL 3 HOUR), "
        "(3, 'LYS', DATE '2025-01-01', 30.0, 'c@x.fr', NULL, now() - INTERVAL 5 HOUR)"
        ") AS t(id, store, day, amount, email, note, seen_at)"
    )
    lh.engine.execute("CREATE TABLE main.stores AS SELECT 'BCN' AS store_id UNION ALL SELECT 'MIL'")
    lh.engine.execute(
        "CREATE TABLE main.all_stores AS SELECT * FROM main.stores UNION ALL SELECT 'LYS'"
    )
    yield lh
    lh.close()


def _run(lh, spec: dict, history=None):
    check = CheckConfig.model_validate(spec)
    return run_check(lh, "exploitation.visits", "main.visits", check, history)


@pytest.mark.parametrize(
    ("spec", "failing"),
    [
        ({"not_null": ["id", "store"]}, 0),
        ({"not_null": "note"}, 2),
        ({"unique": "id"}, 0),
        ({"unique": "store"}, 2),
        ({"unique": ["store", "day"]}, 0),
        ({"unique": ["day"]}, 2),
        ({"accepted_values": {"column": "store", "values": ["BCN", "LYS"]}}, 0),
        ({"accepted_values": {"column": "store", "values": ["BCN"]}}, 1),
        ({"range": {"column": "amount", "min": 0, "max": 30}}, 0),
        ({"range": {"column": "amount", "max": 25}}, 1),
        ({"range": {"column": "day", "min": "2025-01-02"}}, 2),
        ({"regex": {"column": "email", "pattern": "[a-z]+@x\\.(es|fr)"}}, 0),
        ({"regex": {"column": "email", "pattern": "[a-z]+@x\\.es"}}, 1),
        ({"relationships": {"column": "store", "to": "main.all_stores", "field": "store_id"}}, 0),
        ({"relationships": {"column": "store", "to": "main.stores", "field": "store_id"}}, 1),
        ({"sql": "SELECT * FROM {table} WHERE amount > 100"}, 0),
        ({"sql": "SELECT * FROM {table} WHERE store = 'BCN' AND amount < 15"}, 1),
    ],
)
def test_row_checks(lh, spec, failing):
    result = _run(lh, spec)
    assert result.failing_rows == failing
    assert result.status == (FAIL if failing else PASS)
    assert len(result.sample) == min(failing, 5)
    assert result.blocks == bool(failing)


def test_a_failing_warning_does_not_block(lh):
    result = _run(lh, {"not_null": "note", "severity": "warn"})
    assert (result.status, result.blocks, result.failing_rows) == (WARN, False, 2)
    assert result.sample[0]["id"] in (1, 3)


def test_a_check_that_cannot_run_blocks_with_the_reason(lh):
    result = _run(lh, {"not_null": "no_such_column"})
    assert result.status == ERROR and result.blocks
    assert "no_such_column" in result.message


@pytest.mark.parametrize(("bounds", "status"), [({"min": 3}, PASS), ({"min": 4}, FAIL)])
def test_row_count(lh, bounds, status):
    result = _run(lh, {"row_count": bounds})
    assert (result.status, result.value) == (status, 3.0)


@pytest.mark.parametrize(("age", "status"), [("2h", PASS), ("30 min", FAIL)])
def test_freshness(lh, age, status):
    result = _run(lh, {"freshness": {"column": "seen_at", "max_age": age}})
    assert result.status == status
    assert 3500 < (result.value or 0) < 3700  # the newest is an hour old


def test_drift_waits_for_history_then_flags_an_outlier(lh):
    def history(values):
        return lambda table, check, window: values[-window:]

    assert _run(lh, {"drift": {"metric": "row_count"}}, history([3.0])).status == PASS
    steady = history([3.0, 4.0, 3.0, 2.0, 3.0])
    assert _run(lh, {"drift": {"metric": "row_count"}}, steady).status == PASS
    grown = history([30.0, 31.0, 29.0, 30.0])
    result = _run(lh, {"drift": {"metric": "row_count", "z": 3}}, grown)
    assert result.status == FAIL and "standard deviations" in result.message
    mean = _run(lh, {"drift": {"metric": "mean", "column": "amount"}}, history([20.0, 20.5, 19.5]))
    assert mean.status == PASS and mean.value == pytest.approx(20.1666, rel=1e-3)


def test_names_say_what_a_check_looks_at():
    def name(spec):
        return check_name(CheckConfig.model_validate(spec))

    assert name({"unique": ["store", "day"]}) == "unique(store, day)"
    assert name({"range": {"column": "amount", "min": 0}}) == "range(amount)"
    assert name({"row_count": {"min": 1}}) == "row_count"
    assert name({"drift": {"metric": "mean", "column": "x"}}) == "drift(mean, x)"
    assert name({"sql": "SELECT 1", "name": "custom"}) == "custom"
