"""`lakebox demo` end to end: the demo project is also the end-to-end fixture."""

from __future__ import annotations

from datetime import timedelta

import pytest

import lakebox
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.demo import build_demo
from lakebox.demo.generators import air_quality, anomalous_days, expected_monthly_kg
from lakebox.exploitation import builder
from lakebox.exploitation.builder import BUILD_PROPERTY
from lakebox.serving.dashboards import DashboardFolder
from lakebox.serving.dashboards.running import try_charts
from lakebox.serving.queries import QueryService

FLEET = 50
DAY_AT_30_SECONDS = 24 * 120


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
    assert summary.zones["formatted"][0] == 4
    assert summary.zones["exploitation"][0] == 12
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


# -- the air-quality stream --------------------------------------------------------------------


@pytest.mark.slow
def test_the_fleet_s_day_went_through_the_stream_into_formatted(demo):
    summary, lh = demo
    stream = summary.stream
    assert (stream.events, stream.refused) == (FLEET * DAY_AT_30_SECONDS, 0)
    assert stream.end == air_quality.DEFAULT_END
    [row] = lh.query(
        "SELECT count(*) AS n, count(DISTINCT device_id) AS devices, min(ts) AS first,"
        " max(ts) AS last FROM formatted.air_quality"
    ).to_pylist()
    assert (row["n"], row["devices"]) == (FLEET * DAY_AT_30_SECONDS, FLEET)
    assert (row["first"], row["last"]) == (stream.start, stream.end - timedelta(seconds=30))
    landed = lh.query(
        "SELECT count(*) AS batches, sum(rows_read) AS events FROM landing.manifest"
        " WHERE source = 'air_quality' AND status = 'formatted'"
    ).to_pylist()[0]
    assert landed["events"] == FLEET * DAY_AT_30_SECONDS and landed["batches"] >= 1


@pytest.mark.slow
def test_the_window_tables_hold_each_device_s_closed_windows(demo):
    summary, lh = demo
    assert set(summary.stream.windows) == {
        "exploitation.air_quality_1m",
        "exploitation.air_quality_5m",
    }
    for window, minutes in (("1m", 1), ("5m", 5)):
        rows = lh.query(
            "SELECT device_id, count(*) AS windows, min(events_count) AS fewest,"
            f" max(events_count) AS most FROM exploitation.air_quality_{window} GROUP BY ALL"
        ).to_pylist()
        assert len(rows) == FLEET
        whole_day = 24 * 60 // minutes
        assert all(whole_day - 2 <= row["windows"] <= whole_day for row in rows), window
        assert {(row["fewest"], row["most"]) for row in rows} == {(2 * minutes, 2 * minutes)}
    columns = lh.query("SELECT * FROM exploitation.air_quality_1m LIMIT 1").column_names
    assert {"pm25_mean", "pm25_max", "co2_mean", "pm25_ma15", "window_start"} <= set(columns)


@pytest.mark.slow
def test_the_live_windows_equal_the_cold_path_s_minutes(demo):
    _, lh = demo
    differ = lh.query(
        "SELECT count(*) AS n FROM exploitation.air_quality_1m AS hot JOIN ("
        "  SELECT device_id, time_bucket(INTERVAL 1 minute, ts) AS window_start,"
        "         count(*) AS events, avg(pm25) AS pm25_mean, max(pm25) AS pm25_max"
        "  FROM formatted.air_quality GROUP BY ALL"
        ") AS cold USING (device_id, window_start)"
        " WHERE hot.events_count <> cold.events OR abs(hot.pm25_mean - cold.pm25_mean) > 1e-9"
        "    OR hot.pm25_max <> cold.pm25_max"
    ).to_pylist()
    assert differ == [{"n": 0}]


@pytest.mark.slow
def test_the_planted_cooking_and_stuck_sensor_raise_the_stream_s_alerts(demo):
    summary, lh = demo
    planted = summary.stream.planted
    cooking = [item for item in planted if item.kind == air_quality.COOKING]
    [stuck] = [item for item in planted if item.kind == air_quality.STUCK]
    alerts = lh.query(
        "SELECT incident_id, subject, status FROM ops.alerts WHERE kind = 'streams'"
    ).to_pylist()
    high = [row for row in alerts if ":pm25_high:" in row["incident_id"]]
    stuck_alerts = [row for row in alerts if ":pm25_stuck:" in row["incident_id"]]
    # one alert per planted meal, on its kitchen, and none anywhere else
    assert sorted(_device(row) for row in high) == sorted(item.device for item in cooking)
    assert all(_device(row) in row["subject"] for row in high)
    assert {row["status"] for row in high} == {"resolved"}
    # the stuck sensor is still stuck when the backlog ends
    assert [(_device(row), row["status"]) for row in stuck_alerts] == [(stuck.device, "open")]
    assert stuck.device in stuck_alerts[0]["subject"]
    assert sorted(summary.stream.alerts) == sorted(
        [("pm25_high", item.device, "resolved") for item in cooking]
        + [("pm25_stuck", stuck.device, "open")]
    )


@pytest.mark.slow
def test_the_hourly_model_shows_the_cooking_hours(demo):
    summary, lh = demo
    rows = lh.query(
        "SELECT count(*) AS n, count(DISTINCT device_id) AS devices, sum(readings) AS readings"
        " FROM exploitation.air_quality_hourly"
    ).to_pylist()
    assert rows == [{"n": FLEET * 24, "devices": FLEET, "readings": FLEET * DAY_AT_30_SECONDS}]
    smoky = lh.query(
        "SELECT DISTINCT device_id FROM exploitation.air_quality_hourly"
        " WHERE pm25_readings_over_35 > 0"
    ).column(0)
    cooking = {item.device for item in summary.stream.planted if item.kind == "cooking"}
    assert set(smoky.to_pylist()) == cooking


@pytest.mark.slow
def test_every_chart_of_the_air_quality_dashboard_runs(demo):
    _, lh = demo
    entries = DashboardFolder(lh.project_dir / "dashboards").entries()
    [board] = [entry.dashboard for entry in entries if entry.name == "air-quality"]
    assert board is not None
    assert try_charts(board, QueryService(lh)) == {}


def _device(alert: dict) -> str:
    """Return the device of a stream alert's id, `stream:<stream>:<rule>:<device>:p…`."""
    return alert["incident_id"].split(":")[3]


@pytest.mark.slow
def test_the_second_pull_rebuilds_only_the_traffic_models_new_hours(demo):
    _, lh = demo
    traffic = [model for model in builder.models(lh) if model.name.startswith("traffic_")]
    assert traffic and all(model.incremental is not None for model in traffic)
    for model in traffic:
        built = snapshot_properties(lh.catalog.load(model.ref).current_snapshot())
        assert built[BUILD_PROPERTY].startswith("incremental: "), model.name
        table = f"exploitation.{model.name}"
        stored = f"SELECT * FROM {table}"
        for left, right in ((model.sql, stored), (stored, model.sql)):
            query = f"SELECT * FROM ({left}) EXCEPT ALL SELECT * FROM ({right})"
            assert lh.query(query).num_rows == 0, model.name
