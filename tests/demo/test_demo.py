"""`lakebox demo` end to end: the demo project is also the end-to-end fixture."""

from __future__ import annotations

import pytest

import lakebox
from lakebox.demo import build_demo
from lakebox.demo.generators import anomalous_days, expected_monthly_kg


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("demo") / "project"
    summary = build_demo(directory, seed=7)
    with lakebox.open(directory) as lh:
        yield summary, lh


@pytest.mark.slow
def test_the_summary_counts_every_zone(demo):
    summary, _ = demo
    assert summary.failed == []
    assert summary.zones["formatted"][0] == 3
    assert summary.zones["exploitation"][0] == 9
    assert summary.zones["quarantine"][1] > 0
    assert any("is not a DOUBLE" in reason for _, reason, _ in summary.quarantine_reasons)


@pytest.mark.slow
def test_the_planted_defects_raise_warnings_and_nothing_blocks(demo):
    summary, lh = demo
    warned = {(table, check) for table, check, status, _ in summary.checks if status == "warn"}
    assert ("formatted.door_counts", "failed_sensor_readings") in warned
    assert ("exploitation.traffic_store_daily_deviation", "unusual_store_days") in warned
    assert {status for _, _, status, _ in summary.checks} == {"warn"}
    stored = lh.query(
        "SELECT count(*) AS n FROM ops.check_results WHERE status = 'pass'"
    ).to_pylist()
    assert stored[0]["n"] >= 8


@pytest.mark.slow
def test_every_landed_file_is_accounted_for(demo):
    _, lh = demo
    rows = lh.query(
        "SELECT original_path, status, rows_read, rows_formatted + rows_quarantined "
        "+ rows_duplicate AS accounted FROM landing.manifest"
    ).to_pylist()
    assert rows and all(row["status"] == "formatted" for row in rows)
    assert all(row["rows_read"] == row["accounted"] for row in rows)


@pytest.mark.slow
def test_material_consumption_matches_the_generator_in_kg(demo):
    _, lh = demo
    expected = expected_monthly_kg(7)
    rows = lh.query(
        "SELECT material, strftime(month, '%Y-%m') AS month, quantity_kg "
        "FROM exploitation.materials_monthly"
    ).to_pylist()
    actual = {(row["material"], row["month"]): row["quantity_kg"] for row in rows}
    assert len(actual) >= 8 * 48
    assert set(expected) <= set(actual)
    for key, kilograms in expected.items():
        assert actual[key] == pytest.approx(kilograms, rel=1e-9, abs=1e-6), key


@pytest.mark.slow
def test_planted_traffic_anomalies_stand_out(demo):
    _, lh = demo
    for store, day, factor in anomalous_days(7):
        [row] = lh.query(
            "SELECT deviation_pct FROM exploitation.traffic_store_daily_deviation "
            f"WHERE store_id = '{store}' AND local_date = DATE '{day}'"
        ).to_pylist()
        assert row["deviation_pct"] == pytest.approx((factor - 1) * 100, abs=25)


@pytest.mark.slow
def test_a_second_run_of_the_demo_changes_nothing(demo):
    _, lh = demo
    from lakebox.orchestration.runner import run

    report = run(lh)
    # the demo stopped its client API: that source is reported, the others are unchanged
    assert [item.source for item in report.landing if item.error] == ["door_counts_live"]
    assert [entry for item in report.landing for entry in item.landed] == []
    assert {result.status for result in report.models} == {"fresh"}


@pytest.mark.slow
def test_the_second_pull_of_the_client_api_gets_only_the_new_hours(demo):
    summary, lh = demo
    first, second = summary.pulls
    sensors = 44
    assert first.rows == 167 * sensors and first.pages == 8  # the API's default: a week
    assert "since=" not in first.request
    assert second.rows == 6 * sensors and second.pages == 1
    assert "since=2025-06-30T13:00:00%2B02:00" in second.request
    rows = lh.query(
        "SELECT count(*) AS n, count(DISTINCT (sensor, ts)) AS hours "
        "FROM formatted.door_counts_live"
    ).to_pylist()
    assert rows == [{"n": (167 + 6) * sensors, "hours": (167 + 6) * sensors}]
    # the API and the files agree where they overlap; the union keeps each reading once
    readings = lh.query(
        "SELECT count(*) AS n, count(DISTINCT (sensor, ts)) AS hours "
        "FROM exploitation.door_readings"
    ).to_pylist()[0]
    assert readings["n"] == readings["hours"]
    overlap = lh.query(
        "SELECT count(*) AS n, count(*) FILTER (WHERE f.count <> l.count) AS differ FROM "
        "formatted.door_counts f JOIN formatted.door_counts_live l USING (sensor, ts)"
    ).to_pylist()
    assert overlap[0]["n"] > 100 * sensors and overlap[0]["differ"] == 0


@pytest.mark.slow
def test_every_material_gets_a_12_month_forecast_with_nested_intervals(demo):
    summary, lh = demo
    assert ("forecast", "materials", "done") in {row[:3] for row in summary.analysis}
    rows = lh.query(
        "SELECT material, count(*) AS months, min(ds) AS first, "
        "bool_and(lo_95 <= lo_80 AND lo_80 <= forecast AND forecast <= hi_80 "
        "AND hi_80 <= hi_95) AS nested FROM analytics.forecast_materials GROUP BY material"
    ).to_pylist()
    materials = lh.query("SELECT DISTINCT material FROM exploitation.materials_monthly")
    assert {row["material"] for row in rows} == set(materials.column(0).to_pylist())
    assert all(row["months"] == 12 and row["nested"] for row in rows)
    lowest = lh.query("SELECT min(lo_95) AS low FROM analytics.forecast_materials").to_pylist()
    assert lowest[0]["low"] >= 0  # kilograms used are never negative, nor their forecast
    last = lh.query("SELECT max(month) AS m FROM exploitation.materials_monthly").to_pylist()
    month = last[0]["m"]
    first = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    assert {row["first"] for row in rows} == {first}


@pytest.mark.slow
def test_store_traffic_anomalies_include_the_planted_days(demo):
    summary, lh = demo
    found = lh.query(
        "SELECT entity, CAST(ts AS DATE) AS day FROM analytics.anomalies "
        "WHERE rule_name = 'store_days'"
    ).to_pylist()
    flagged = {(row["entity"].removeprefix("store_id="), row["day"]) for row in found}
    planted = {(store, day) for store, day, _ in anomalous_days(7)}
    assert planted <= flagged
    assert {("anomalies", "failed_sensors", "ok")} <= {row[:3] for row in summary.analysis}
