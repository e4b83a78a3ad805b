"""`weekday_deviation` finds exactly the planted store-days and sensor-hours."""

from __future__ import annotations

import pytest

from tests.analysis.anomalies.conftest import found, sensor_hours, store_days
from tests.analysis.conftest import write_table

# S1 doubled on Tue 2025-02-25 (day 50), S2 at 60% on Thu 2025-02-20 (day 45); S3 tripled on
# Thu 2025-01-23 (day 17), when it has only two earlier Thursdays.
PLANTED = {("S1", 50): 2.0, ("S2", 45): 0.6, ("S3", 17): 3.0}
S1_DOUBLED = ("store_id=S1", "2025-02-25 00:00:00")
S2_DIPPED = ("store_id=S2", "2025-02-20 00:00:00")
S3_EARLY = ("store_id=S3", "2025-01-23 00:00:00")


def store_rule(**parameters: object) -> dict[str, object]:
    return {
        "table": "exploitation.store_daily",
        "ids": ["store_id"],
        "time": "local_date",
        "value": "visitors",
        "weekday_deviation": {"grain": "day", "weeks": 4, **parameters},
    }


@pytest.fixture(scope="module")
def stores(shared_lh):
    rows = store_days({"S1": 1000, "S2": 500}, 70, PLANTED)
    rows += store_days({"S3": 800}, 18, PLANTED)
    write_table(shared_lh, "exploitation.store_daily", rows)
    return shared_lh


def test_finds_exactly_the_planted_days_with_their_severity(stores):
    assert found(stores, days=store_rule()) == {(*S1_DOUBLED, "critical"), (*S2_DIPPED, "warn")}


def test_rows_carry_value_mean_deviation_and_a_sentence(stores):
    found(stores, days=store_rule())
    row = stores.query(
        "SELECT * FROM analytics.anomalies WHERE entity = 'store_id=S1'"
    ).to_pylist()[0]
    assert row["rule"] == "weekday_deviation" and row["rule_name"] == "days"
    assert row["table_name"] == "exploitation.store_daily"
    assert row["ids"] == '{"store_id":"S1"}'
    assert row["deviation"] == pytest.approx(1.0, abs=0.05)
    assert row["value"] == pytest.approx(2 * row["expected"], rel=0.05)
    assert row["detail"].startswith("Tue 2025-02-25: ")
    assert "over the last 4 Tuesdays (+" in row["detail"]


def test_too_little_history_is_not_judged(stores):
    assert not {anomaly[:2] for anomaly in found(stores, days=store_rule())} & {S3_EARLY}
    with_two = found(stores, days=store_rule(min_history=2))
    assert (*S3_EARLY, "critical") in with_two


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"warn_pct": 45}, {(*S1_DOUBLED, "critical")}),
        ({"critical_pct": 120}, {(*S1_DOUBLED, "warn"), (*S2_DIPPED, "warn")}),
        ({"direction": "up"}, {(*S1_DOUBLED, "critical")}),
        ({"direction": "down"}, {(*S2_DIPPED, "warn")}),
        ({"warn_pct": 150, "critical_pct": 200}, set()),
    ],
)
def test_thresholds_and_direction_change_the_result(stores, parameters, expected):
    assert found(stores, days=store_rule(**parameters)) == expected


def test_info_level_and_a_median_baseline(stores):
    # the doubled day lifts the mean of the next two Tuesdays by a quarter: -20% each
    polluted = {
        ("store_id=S1", "2025-03-04 00:00:00", "info"),
        ("store_id=S1", "2025-03-11 00:00:00", "info"),
    }
    planted = {(*S1_DOUBLED, "critical"), (*S2_DIPPED, "warn")}
    assert found(stores, days=store_rule(info_pct=15)) == planted | polluted
    assert found(stores, days=store_rule(info_pct=15, baseline="median")) == planted


def test_hourly_grain_compares_the_same_weekday_and_hour(lh):
    write_table(lh, "exploitation.sensor_hourly", sensor_hours(["A", "B"], 42, {("A", 38, 15): 3}))
    rule = {
        "table": "exploitation.sensor_hourly",
        "ids": "sensor",
        "time": "local_hour",
        "value": "visitors",
        "weekday_deviation": {"grain": "hour"},
    }
    assert found(lh, hours=rule) == {("sensor=A", "2025-02-13 15:00:00", "critical")}
    too_small = {**rule, "weekday_deviation": {"grain": "hour", "min_expected": 200}}
    assert found(lh, hours=too_small) == set()
    # at day grain the hour is summed into its day: +17%, a warning from 15%
    daily = {**rule, "weekday_deviation": {"grain": "day", "warn_pct": 15}}
    assert found(lh, days=daily) == {("sensor=A", "2025-02-13 00:00:00", "warn")}
