"""`GET /metrics` on a small real project, scraped through the API app and parsed with
prometheus-client's own parser."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from lakebox.catalog import TableRef
from lakebox.exploitation.builder import BuildResult
from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land
from lakebox.monitoring.incidents import stale_tables
from lakebox.orchestration import history
from lakebox.orchestration.report import RunReport, StepRun
from lakebox.quality import results
from lakebox.quality.checks import CheckResult
from lakebox.serving.app import create_app
from lakebox.tables import commit_batch
from tests.conftest import write_file

SALES = "id,amount\n1,2.5\n2,4\n3,10\n"


@pytest.fixture
def lh(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", SALES)
    lh = make_project({"sales": {"path": str(folder)}})
    land(lh, "sales")
    format_pending(lh, "sales")
    return lh


@pytest.fixture
def client(lh):
    # the app confines the engine: built once per lakehouse
    return TestClient(create_app(lh), base_url="http://127.0.0.1")


def scrape(client) -> dict[str, dict[tuple, float]]:
    """Return each sample name → {its labels as sorted pairs: value}, from GET /metrics."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _table(zone: str, name: str) -> tuple:
    return (("table", name), ("zone", zone))


def test_rows_match_the_real_count(lh, client):
    rows = scrape(client)["lakebox_table_rows"]

    counted = lh.engine.execute("SELECT count(*) FROM formatted.sales").fetchone()[0]
    assert counted == 3
    assert rows[_table("formatted", "sales")] == counted


def test_freshness_matches_the_current_snapshot(lh, client):
    before = time.time()
    samples = scrape(client)

    snapshot = lh.catalog.load(TableRef("formatted", "sales")).current_snapshot()
    committed = samples["lakebox_table_last_commit_timestamp_seconds"]
    assert committed[_table("formatted", "sales")] == snapshot.timestamp_ms / 1000
    ages = samples["lakebox_table_age_seconds"]
    assert ages and all(age >= 0 for age in ages.values())
    assert ages[_table("formatted", "sales")] >= before - snapshot.timestamp_ms / 1000 - 1


def test_zone_bytes_count_formatted_and_landing_files(lh, client):
    zones = {
        dict(labels)["zone"]: size for labels, size in scrape(client)["lakebox_zone_bytes"].items()
    }

    assert zones["formatted"] > 0
    assert zones["landing"] >= len(SALES)


def test_failed_checks_appear_once_stored(lh, client):
    assert "lakebox_checks_failed" not in scrape(client)
    failing = CheckResult("formatted.sales", "not_null(amount)", "not_null", "error", "fail", 2)
    passing = CheckResult("formatted.sales", "unique(id)", "unique", "error", "pass")
    results.store(lh, "run-1", [failing, passing])

    samples = scrape(client)

    assert samples["lakebox_checks_failed"] == {(("table", "formatted.sales"),): 1}
    by_status = samples["lakebox_checks"]
    assert by_status[(("status", "fail"), ("table", "formatted.sales"))] == 1
    assert by_status[(("status", "pass"), ("table", "formatted.sales"))] == 1


def test_run_and_anomaly_metrics_are_left_out_without_their_tables(lh, client):
    names = set(scrape(client))

    assert not {n for n in names if n.startswith(("lakebox_run", "lakebox_rows_processed"))}
    assert "lakebox_anomalies_open" not in names


def test_run_metrics_from_ops_runs(lh, client, tmp_path):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [
        ("r1", "hourly", at.replace(hour=1), 4.0, "ok", 10, 8),
        ("r2", "hourly", at.replace(hour=2), 6.5, "failed", 5, 0),
        ("r3", "nightly", at.replace(hour=3), 30.0, "ok", 100, 90),
    ]
    _commit(lh, tmp_path, TableRef("ops", "runs"), _runs_table(runs))

    samples = scrape(client)

    assert samples["lakebox_runs_total"] == {
        (("pipeline", "hourly"), ("status", "failed")): 1,
        (("pipeline", "hourly"), ("status", "ok")): 1,
        (("pipeline", "nightly"), ("status", "ok")): 1,
    }
    assert samples["lakebox_run_duration_seconds"] == {
        (("pipeline", "hourly"),): 6.5,
        (("pipeline", "nightly"),): 30.0,
    }
    assert samples["lakebox_rows_processed_total"] == {
        (("pipeline", "hourly"),): 8,
        (("pipeline", "nightly"),): 90,
    }
    assert samples["lakebox_run_peak_memory_bytes"] == {
        (("pipeline", "hourly"),): 1 << 20,
        (("pipeline", "nightly"),): 1 << 20,
    }
    assert samples["process_resident_memory_bytes"][()] > 0  # the serving process itself


def test_open_anomalies_per_severity(lh, client, tmp_path):
    incidents = pa.table({"incident_id": ["a", "b", "c"], "severity": ["high", "low", "high"]})
    _commit(lh, tmp_path, TableRef("analytics", "anomalies"), incidents)

    assert scrape(client)["lakebox_anomalies_open"] == {
        (("severity", "high"),): 2,
        (("severity", "low"),): 1,
    }


def _runs_table(runs: list[tuple]) -> pa.Table:
    columns = ["run_id", "pipeline", "started_at", "seconds", "status", "rows_in", "rows_out"]
    table = pa.Table.from_pylist([dict(zip(columns, run, strict=True)) for run in runs])
    ended = [row["started_at"] for row in table.select(["started_at"]).to_pylist()]
    return table.append_column("ended_at", pa.array(ended)).append_column(
        "peak_memory_bytes", pa.array([1 << 20] * len(runs), pa.int64())
    )


def _commit(lh, tmp_path, ref: TableRef, table: pa.Table) -> None:
    path = tmp_path / f"{ref.name}.parquet"
    pq.write_table(table, path)
    commit_batch(lh, ref, path, f"test-{ref.name}", {})


def test_an_unreadable_ops_runs_is_skipped_not_fatal(lh, client, tmp_path):
    _commit(lh, tmp_path, TableRef("ops", "runs"), pa.table({"run_id": ["r1"]}))

    samples = scrape(client)

    assert "lakebox_runs_total" not in samples
    assert samples["lakebox_table_rows"][_table("formatted", "sales")] == 3


# -- freshness targets (alerts.max_age) --------------------------------------------------------


@pytest.fixture
def targeted(make_project, tmp_path):
    """A project with a fresh table, a stale one and a missing one, each with a `max_age`."""
    folder = tmp_path / "in"
    write_file(folder, "1.csv", SALES)
    targets = {"formatted.sales": "1 h", "exploitation.old": "1 s", "exploitation.missing": "2 h"}
    lh = make_project({"sales": {"path": str(folder)}}, alerts={"max_age": targets})
    land(lh, "sales")
    format_pending(lh, "sales")
    _commit(lh, tmp_path, TableRef("exploitation", "old"), pa.table({"id": [1]}))
    _wait_older_than(lh, TableRef("exploitation", "old"), 1.0)
    return lh


def _wait_older_than(lh, ref: TableRef, seconds: float) -> None:
    """Sleep until `ref`'s current snapshot is more than `seconds` old."""
    committed = lh.catalog.load(ref).current_snapshot().timestamp_ms / 1000
    time.sleep(max(0.0, committed + seconds + 0.05 - time.time()))


def test_freshness_targets_and_staleness(targeted):
    samples = scrape(TestClient(create_app(targeted), base_url="http://127.0.0.1"))

    assert samples["lakebox_table_max_age_seconds"] == {
        _table("exploitation", "missing"): 7200,
        _table("exploitation", "old"): 1,
        _table("formatted", "sales"): 3600,
    }
    assert samples["lakebox_table_stale"] == {
        _table("exploitation", "missing"): 1,
        _table("exploitation", "old"): 1,
        _table("formatted", "sales"): 0,
    }


def test_stale_metric_agrees_with_stale_alerts(targeted):
    client = TestClient(create_app(targeted), base_url="http://127.0.0.1")
    stale = scrape(client)["lakebox_table_stale"]
    incidents = stale_tables(targeted, targeted.config.alerts, datetime.now(UTC))

    flagged = {f"{dict(key)['zone']}.{dict(key)['table']}" for key, value in stale.items() if value}
    assert flagged == {incident.source for incident in incidents}


def test_no_freshness_metrics_without_targets(client):
    names = set(scrape(client))

    assert not names & {"lakebox_table_max_age_seconds", "lakebox_table_stale"}


# -- steps (ops.step_runs) ---------------------------------------------------------------------


def _store_run(lh, pipeline: str, hour: int, models=(), attempts=()) -> None:
    """Record one run of `pipeline` at `hour`, its steps being `models` and `attempts`."""
    started_at = datetime(2026, 1, 1, hour, tzinfo=UTC)
    report = RunReport(f"{pipeline}-{hour}", models=list(models), attempts=list(attempts))
    history.store(lh, pipeline, "run", report, started_at)


def _attempt(status: str, seconds: float, hour: int) -> StepRun:
    at = datetime(2026, 1, 1, hour, tzinfo=UTC)
    return StepRun("collect:sales", "collect", at, seconds, status, error="connection reset")


def test_step_metrics_from_ops_step_runs(lh, client):
    retried, failed = _attempt("retried", 1.5, 1), _attempt("failed", 0.5, 1)
    _store_run(lh, "hourly", 1, [BuildResult("stores", "built", 10, 9.0)], [retried, failed])
    later = [BuildResult("stores", "built", 4, 3.0), BuildResult("visits", "failed", None, 1.0)]
    _store_run(lh, "hourly", 2, later)
    _store_run(lh, "nightly", 3, [BuildResult("stores", "fresh", None, 5.0)])

    samples = scrape(client)

    assert samples["lakebox_step_duration_seconds"] == {
        (("kind", "build"), ("pipeline", "hourly")): 4.0,
        (("kind", "build"), ("pipeline", "nightly")): 5.0,
    }
    assert samples["lakebox_step_failures_total"] == {
        (("kind", "build"), ("pipeline", "hourly")): 1,
        (("kind", "collect"), ("pipeline", "hourly")): 1,
        (("kind", "build"), ("pipeline", "nightly")): 0,
    }
    assert samples["lakebox_step_retries_total"] == {
        (("kind", "build"), ("pipeline", "hourly")): 0,
        (("kind", "collect"), ("pipeline", "hourly")): 1,
        (("kind", "build"), ("pipeline", "nightly")): 0,
    }


def test_step_metrics_are_left_out_without_their_tables(lh, client):
    assert not {name for name in scrape(client) if name.startswith("lakebox_step_")}


def test_model_metrics_are_those_of_each_production_version(lh, client):
    from lakebox.analysis import registry
    from lakebox.analysis.registry import ModelVersion
    from tests.analysis.test_registry import fitted

    for mae in (3.0, 2.5):
        trained = ModelVersion(
            name="traffic", version=0, flavor="linear", target="y", features=["x"],
            metrics={"mae": mae, "rows": 120, "chosen": True},
        )  # fmt: skip
        registry.register(lh, trained, fitted(1.0))
    assert "lakebox_model_metric" not in scrape(client)  # candidates only: nothing in production

    registry.promote(lh, "traffic", 2)
    samples = scrape(client)["lakebox_model_metric"]
    assert samples == {
        (("metric", "mae"), ("model", "traffic"), ("version", "2")): 2.5,
        (("metric", "rows"), ("model", "traffic"), ("version", "2")): 120,
    }
