"""`failed_sensor` finds exactly the planted runs of -1 and of zeros while open."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.analysis.anomalies.conftest import MONDAY, found
from tests.analysis.conftest import write_table

A, B = "store_id=S1,sensor=A", "store_id=S1,sensor=B"
START = datetime.combine(MONDAY, datetime.min.time())
# (sensor, day, hour) → reading; every other open hour counts visitors, closed hours count 0
PLANTED = {
    **{("A", 0, hour): -1 for hour in range(10, 15)},  # 5 failed readings: a warning
    ("B", 0, 11): -1,  # one failed reading: not a run
    **{("B", 1, hour): -1 for hour in (12, 13)},  # two: shorter than min_run
    **{("A", 1, hour): 0 for hour in (18, 19, 20)},  # zeros until closing …
    **{("A", 2, hour): 0 for hour in (9, 10, 11)},  # … and after opening: one run of 6
    ("B", 1, 9): 0,  # one zero while open: a quiet hour
    **{("B", 2, hour): -1 for hour in range(14)},  # 14 failed readings from midnight: critical
}
FAILED_A = (A, "2025-01-06 10:00:00", "warn")
ZEROS_A = (A, "2025-01-07 18:00:00", "warn")
FAILED_B = (B, "2025-01-08 00:00:00", "critical")
OPEN_WHEN = "isodow(local_hour) <= 6 AND hour(local_hour) BETWEEN 9 AND 20"


def readings(failed: float | None = -1) -> list[dict[str, object]]:
    rows = []
    for sensor in ("A", "B"):
        for hour in range(3 * 24):
            planted = PLANTED.get((sensor, hour // 24, hour % 24))
            is_open = 9 <= hour % 24 < 21
            count = planted if planted is not None else (40 if is_open else 0)
            stamp = START + timedelta(hours=hour)
            value = failed if count == -1 else count
            rows.append({"store_id": "S1", "sensor": sensor, "local_hour": stamp, "count": value})
    return rows


def rule(**parameters: object) -> dict[str, object]:
    return {
        "table": "exploitation.sensor_hourly",
        "ids": ["store_id", "sensor"],
        "time": "local_hour",
        "value": "count",
        "failed_sensor": {"opening_hours": {"opens": 9, "closes": 21}, **parameters},
    }


@pytest.fixture(scope="module")
def sensors(shared_lh):
    write_table(shared_lh, "exploitation.sensor_hourly", readings())
    return shared_lh


def test_finds_exactly_the_planted_runs(sensors):
    assert found(sensors, sensors=rule()) == {FAILED_A, ZEROS_A, FAILED_B}


def test_a_run_has_its_end_and_length_and_a_sentence(sensors):
    found(sensors, sensors=rule())
    rows = sensors.query(
        "SELECT ts_end, value, detail FROM analytics.anomalies ORDER BY ts"
    ).to_pylist()
    assert [(row["ts_end"].isoformat(sep=" "), row["value"]) for row in rows] == [
        ("2025-01-06 14:00:00", 5.0),
        ("2025-01-08 11:00:00", 6.0),
        ("2025-01-08 13:00:00", 14.0),
    ]
    assert rows[0]["detail"] == (
        "store_id=S1,sensor=A reported -1 for 5 consecutive readings, "
        "Mon 2025-01-06 10:00 to Mon 2025-01-06 14:00"
    )
    assert "counted 0 while open for 6 consecutive readings" in rows[1]["detail"]


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"min_run": 2}, {FAILED_A, ZEROS_A, FAILED_B, (B, "2025-01-07 12:00:00", "warn")}),
        ({"zero_min_run": 7}, {FAILED_A, FAILED_B}),
        ({"critical_run": 5}, {(*FAILED_A[:2], "critical"), (*ZEROS_A[:2], "critical"), FAILED_B}),
        ({"critical_run": None}, {FAILED_A, ZEROS_A, (*FAILED_B[:2], "warn")}),
    ],
)
def test_run_lengths_change_the_result(sensors, parameters, expected):
    assert found(sensors, sensors=rule(**parameters)) == expected


def test_opening_hours_from_an_expression_or_a_table(sensors):
    by_expression = rule()
    by_expression["failed_sensor"] = {"open_when": OPEN_WHEN}
    assert found(sensors, sensors=by_expression) == {FAILED_A, ZEROS_A, FAILED_B}
    hours = [{"store_id": "S1", "weekday": day, "opens": 9, "closes": 21} for day in range(1, 7)]
    write_table(sensors, "exploitation.shop_hours", hours)
    by_table = rule()
    by_table["failed_sensor"] = {
        "hours_table": {"table": "exploitation.shop_hours", "on": "store_id"}
    }
    assert found(sensors, sensors=by_table) == {FAILED_A, ZEROS_A, FAILED_B}


def test_without_opening_hours_zeros_are_not_judged(sensors):
    no_hours = rule()
    no_hours["failed_sensor"] = {}
    assert found(sensors, sensors=no_hours) == {FAILED_A, FAILED_B}


def test_nulls_as_failures(lh):
    write_table(lh, "exploitation.sensor_hourly", readings(failed=None))
    assert found(lh, sensors=rule(sentinel=None, null_is_failure=True)) == {
        FAILED_A,
        ZEROS_A,
        FAILED_B,
    }
